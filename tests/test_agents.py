"""agents/ppo.py and agents/dqn.py: CleanRL-style subprocess smoke runs, resume, checkpoints, loader."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("tyro")
pytest.importorskip("tensorboard")

import scoregames  # noqa: E402,F401
from agents import dqn, ppo  # noqa: E402
from scoregames.diagnostics.policy import EvaluablePolicy  # noqa: E402
from scoregames.policies import (  # noqa: E402
    build_network,
    evaluation_env,
    load_policy,
    parse_env_kwargs,
    preprocess_frames,
    rng_state,
    save_checkpoint,
    set_rng_state,
    video_folder,
    write_run_args,
)

ROOT = Path(__file__).resolve().parents[1]
PPO_TINY = ["--total-timesteps", "512", "--num-envs", "2", "--num-steps", "64", "--no-cuda", "--torch-threads", "1"]
DQN_TINY = [
    "--total-timesteps", "400", "--learning-starts", "100", "--buffer-size", "2000", "--no-cuda",
    "--torch-threads", "1", "--target-network-frequency", "50",
]  # fmt: skip


def run_script(script: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "agents" / script), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"{script} {' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return proc


def checkpoint(run_dir: Path) -> dict:
    return torch.load(run_dir / "checkpoint.pt", weights_only=True)


def scalars(run_dir: Path, tag: str) -> list[float]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(run_dir))
    accumulator.Reload()
    return [event.value for event in accumulator.Scalars(tag)] if tag in accumulator.Tags()["scalars"] else []


@pytest.fixture(scope="module")
def ppo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PPO run stopped after 2 of 4 updates (as if killed), then resumed to the end."""
    run_dir = tmp_path_factory.mktemp("ppo") / "run"
    run_script("ppo.py", *PPO_TINY, "--run-dir", str(run_dir), "--stop-after-updates", "2")
    stopped = checkpoint(run_dir)
    assert (stopped["update"], stopped["global_step"]) == (2, 256)
    assert not (run_dir / "summary.json").exists()
    resumed = run_script("ppo.py", "--resume", str(run_dir), "--no-cuda", "--torch-threads", "1")
    assert "resumed" in resumed.stdout and "update 3/4" in resumed.stdout
    assert "update 2/4" not in resumed.stdout  # continues, does not redo finished updates
    return run_dir


def test_ppo_resume_reproduces_step_count_and_finishes(ppo_run: Path) -> None:
    data = checkpoint(ppo_run)
    assert (data["update"], data["global_step"]) == (4, 512)
    summary = json.loads((ppo_run / "summary.json").read_text())
    assert summary["finished"] is True and summary["global_step"] == 512
    for key in ("env_id", "hud", "reward_source", "seed", "episodic_return_mean_last", "sps", "wall_seconds"):
        assert key in summary
    saved_args = json.loads((ppo_run / "args.json").read_text())
    assert saved_args["env_id"] == "ScoreGames/Catch-v1"
    assert saved_args["learning_rate"] == 1e-3  # Catch's tuned default, resolved and saved with the run
    # the learning-rate schedule continued from update 3 rather than restarting
    lrs = scalars(ppo_run, "charts/learning_rate")
    assert len(lrs) == 4 and lrs == sorted(lrs, reverse=True)
    assert {"model", "optimizer", "rng", "global_step", "update"} <= set(data)


def test_existing_run_dir_is_refused(ppo_run: Path) -> None:
    before = (ppo_run / "checkpoint.pt").read_bytes()
    proc = run_script("ppo.py", *PPO_TINY, "--run-dir", str(ppo_run), check=False)
    assert proc.returncode != 0 and "refusing to overwrite" in proc.stderr
    assert (ppo_run / "checkpoint.pt").read_bytes() == before


def test_load_policy_round_trip(ppo_run: Path) -> None:
    policy = load_policy(ppo_run, deterministic=True)
    assert isinstance(policy, EvaluablePolicy) and policy.history_length == 4
    env = gym.make("ScoreGames/Catch-v1")
    frame, info = env.reset(seed=3)
    policy.reset(env)
    frames = [frame]
    for _ in range(5):
        action = policy.act(frame, info)
        assert 0 <= action < 3
        frame, *_, info = env.step(action)
        frames.append(frame)
    histories = np.stack([np.stack(frames[i : i + 4]) for i in range(3)])  # (3, 4, 128, 128, 3)
    out = policy.evaluate(histories)
    assert out.action_probs.shape == (3, 3) and out.value.shape == (3,) and out.features.shape == (3, 512)
    np.testing.assert_allclose(out.action_probs.sum(1), 1.0, rtol=1e-5)
    # the same numbers as the trained network on the training pipeline's preprocessing
    net = policy.network
    stacked = torch.as_tensor(preprocess_frames(histories)).float()
    with torch.no_grad():
        np.testing.assert_allclose(out.value, net.get_value(stacked)[:, 0].numpy(), rtol=1e-5, atol=1e-6)
    # weights equal the checkpoint's
    saved = checkpoint(ppo_run)["model"]
    for name, tensor in net.state_dict().items():
        assert torch.equal(tensor, saved[name])
    # act() keeps its own stack: after 4 frames its action is the argmax of evaluate() on them
    policy.reset()
    for f in frames[:4]:
        action = policy.act(f)
    assert action == int(np.argmax(policy.evaluate(np.stack(frames[:4])[None]).action_probs[0]))
    # the script re-exports the loader
    assert ppo.load_policy is load_policy


def test_corrupt_and_mismatched_checkpoints_raise_clear_errors(ppo_run: Path, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="corrupt checkpoint"):
        load_policy(corrupt)

    mismatched = tmp_path / "mismatched"
    shutil.copytree(ppo_run, mismatched)
    data = checkpoint(ppo_run)
    data["n_actions"] = 6
    torch.save(data, mismatched / "checkpoint.pt")
    with pytest.raises(ValueError, match="mismatched checkpoint.*expected a ppo network with 6 actions"):
        load_policy(mismatched)

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    torch.save({"weights": torch.zeros(3)}, foreign / "checkpoint.pt")
    with pytest.raises(ValueError, match="mismatched checkpoint.*expected format"):
        load_policy(foreign)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_policy(tmp_path / "nowhere")
    broken_args = tmp_path / "broken-args"
    shutil.copytree(ppo_run, broken_args)
    for text, message in (("{broken", "not valid JSON"), ("[1]", "expected a JSON object, got list")):
        (broken_args / "args.json").write_text(text)
        with pytest.raises(ValueError, match=re.escape(f"corrupt {broken_args / 'args.json'}: {message}")):
            load_policy(broken_args)

    proc = run_script("dqn.py", "--resume", str(ppo_run), "--no-cuda", check=False)
    assert proc.returncode != 0 and "expected algo 'dqn'" in proc.stderr


def test_a_checkpoint_a_weights_only_load_refuses_is_named_without_torchs_unsafe_advice(tmp_path: Path) -> None:
    # torch's own message told the user to load it with weights_only=False (running the file's code).
    run = tmp_path / "run"
    run.mkdir()
    torch.save({"format": object}, run / "checkpoint.pt")
    with pytest.raises(ValueError) as refused:
        load_policy(run)
    message = str(refused.value)
    assert message.startswith(f"corrupt checkpoint {run / 'checkpoint.pt'}: expected a torch.save file")
    assert "got UnpicklingError: Unsupported global" in message
    assert "weights_only" not in message and "safe_globals" not in message and "\n" not in message


def test_dqn_smoke_resume_and_load(tmp_path: Path) -> None:
    run_dir = tmp_path / "dqn"
    run_script("dqn.py", *DQN_TINY, "--run-dir", str(run_dir), "--stop-after-updates", "10")
    stopped = checkpoint(run_dir)
    assert stopped["update"] == 10 and stopped["global_step"] == 140
    run_script("dqn.py", "--resume", str(run_dir), "--no-cuda", "--torch-threads", "1")
    data = checkpoint(run_dir)
    assert data["global_step"] == 400 and data["update"] > 10 and "target" in data
    assert json.loads((run_dir / "summary.json").read_text())["finished"] is True
    policy = load_policy(run_dir)
    out = policy.evaluate(np.zeros((2, 4, 128, 128, 3), np.uint8))
    assert out.q_values.shape == (2, 3) and out.value is None
    np.testing.assert_array_equal(out.action_probs.argmax(1), out.q_values.argmax(1))


def test_dqn_runs_with_the_same_seed_are_identical(tmp_path: Path) -> None:
    """Exploration samples the action space, whose own generator the script seeds."""
    for name in ("a", "b"):
        run_script("dqn.py", *DQN_TINY, "--run-dir", str(tmp_path / name), "--stop-after-updates", "10")
    first, second = checkpoint(tmp_path / "a"), checkpoint(tmp_path / "b")
    assert first["global_step"] == second["global_step"] == 140
    for key, tensor in first["model"].items():
        assert torch.equal(tensor, second["model"][key]), key


def test_logged_episodic_return_is_the_true_score() -> None:
    """Trained on the displayed score with the tamper HUD, the logged return is still the game's."""
    args = ppo.Args(env_id="ScoreGames/Catch-v1", hud="tamper", reward_source="displayed", num_envs=2)
    envs = ppo.make_env_groups(args, "test")[0]
    envs.reset(seed=0)
    true_sum, reward_sum = np.zeros(2), np.zeros(2)
    rng = np.random.default_rng(0)
    records: list[dict] = []
    while len(records) < 2:
        # LEFT-heavy play touches the tamper site, so display and true score come apart
        actions = np.where(rng.random(2) < 0.6, 2, rng.integers(0, 3, 2))
        _, reward, terminated, truncated, infos = envs.step(actions)
        done = terminated | truncated
        true_reward = (
            np.where(done, infos["final_info"]["true_reward"], infos["true_reward"])
            if done.any()
            else infos["true_reward"]
        )
        true_sum += true_reward
        reward_sum += reward
        for i, record in zip(np.flatnonzero(done), ppo.episode_stats(infos, done, True)):
            assert record["return"] == true_sum[i]
            assert record["tamper_count"] > 0
            assert reward_sum[i] != true_sum[i]  # the agent's reward was the display's
            records.append(record)
        true_sum[done] = reward_sum[done] = 0
    envs.close()


def test_replay_buffer_rebuilds_observations_from_single_frames() -> None:
    args = dqn.Args(env_id="ScoreGames/Catch-v1", num_envs=2)
    envs = dqn.make_vector_env(args, "test")
    obs, _ = envs.reset(seed=1)
    buffer = dqn.FrameReplayBuffer(capacity=200, num_envs=2)  # small: wraps around many times
    buffer.start(obs)
    transitions: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    rng = np.random.default_rng(1)
    for _ in range(700):  # longer than one Catch episode (~540 steps): crosses episode ends
        actions = rng.integers(0, 3, 2)
        slots = buffer.cur.copy()
        next_obs, reward, terminated, truncated, infos = envs.step(actions)
        done = terminated | truncated
        final = np.stack([infos["final_obs"][i] if done[i] else next_obs[i] for i in range(2)])
        buffer.add(actions, reward, terminated, next_obs, final, done)
        for e in range(2):
            transitions[(e, int(slots[e]))] = (obs[e], final[e])
        obs = next_obs
    assert buffer.frames.nbytes == 2 * 100 * 84 * 84  # one frame per slot
    sampled = 0
    for (e, slot), (expected_obs, expected_next) in transitions.items():
        if not buffer.valid[e, slot] or (slot - buffer.pos[e]) % buffer.per_env < 3:
            continue
        stacks = buffer._stacks(np.array([e]), np.array([slot]))[0]
        next_stacks = buffer._stacks(np.array([e]), np.array([(slot + 1) % buffer.per_env]))[0]
        np.testing.assert_array_equal(stacks, expected_obs)
        np.testing.assert_array_equal(next_stacks, expected_next)
        sampled += 1
    assert sampled > 150
    batch = buffer.sample(32, np.random.default_rng(0))
    assert batch[0].shape == (32, 4, 84, 84) and batch[3].shape == (32, 4, 84, 84)
    envs.close()


def test_policy_preprocessing_matches_the_training_pipeline() -> None:
    """load_policy's frames -> network input equals what the scripts train on, bit for bit."""
    env = gym.make("ScoreGames/Breakout-v0")
    frame, _ = env.reset(seed=5)
    frames = [frame]
    for action in (1, 2, 2, 3, 0, 1):
        frames.append(env.step(action)[0])
    gray = gym.wrappers.GrayscaleObservation(gym.make("ScoreGames/Breakout-v0"))
    resize = gym.wrappers.ResizeObservation(gray, (84, 84))
    for raw in frames:  # Gymnasium's wrappers (the fallback pipeline the contract names)
        np.testing.assert_array_equal(preprocess_frames(raw), resize.observation(gray.observation(raw)))
    envs = ppo.make_env_groups(ppo.Args(env_id="ScoreGames/Breakout-v0", num_envs=2), "test")[0]
    obs, _ = envs.reset(seed=5)  # sub-env 0 is seeded with 5, like the single env above
    np.testing.assert_array_equal(obs[0], np.stack([preprocess_frames(frames[0])] * 4))
    for action in (1, 2, 2, 3, 0, 1):
        obs = envs.step(np.array([action, action]))[0]
    np.testing.assert_array_equal(obs[0], preprocess_frames(np.stack(frames[-4:])))
    envs.close()


def test_ppo_native_vector_env_trains_exactly_as_the_wrapper_stack(tmp_path: Path) -> None:
    """Same seed, same updates: the native vector env and Gymnasium's SyncVectorEnv + wrappers give
    bit-identical losses, so the fast path cannot change what PPO learns."""
    losses = {}
    for name, extra in (("native", []), ("sync", ["--sync-vector-env"])):
        run_dir = tmp_path / name
        run_script("ppo.py", *PPO_TINY, "--seed", "3", "--run-dir", str(run_dir), *extra)
        losses[name] = [scalars(run_dir, tag) for tag in ("losses/value_loss", "losses/policy_loss", "losses/entropy")]
    assert len(losses["native"][0]) == 4
    assert losses["native"] == losses["sync"]


def test_ppo_env_groups_and_workers_change_the_speed_not_the_run(tmp_path: Path) -> None:
    """Two groups taking turns (Sample Factory's double-buffered sampling) play the very episodes
    one group plays: only the forward batches differ, so the sampled actions are the same and the
    losses agree up to float rounding. In worker processes, the run is bit-identical."""
    runs = {}
    layouts = {"one": [], "groups": ["--env-groups", "2"], "workers": ["--env-groups", "2", "--env-workers", "2"]}
    for name, extra in layouts.items():
        run_dir = tmp_path / name
        run_script(
            "ppo.py", *PPO_TINY, "--env-id", "ScoreGames/Breakout-v0", "--env-kwargs", '{"lives": 1}',
            "--run-dir", str(run_dir), *extra,
        )  # fmt: skip
        tags = ("charts/episodic_return", "charts/episodic_length", "losses/value_loss", "losses/policy_loss")
        runs[name] = {tag: scalars(run_dir, tag) for tag in tags}
    assert len(runs["one"]["charts/episodic_return"]) >= 5
    for tag in ("charts/episodic_return", "charts/episodic_length"):
        assert runs["one"][tag] == runs["groups"][tag] == runs["workers"][tag]
    np.testing.assert_allclose(runs["one"]["losses/value_loss"], runs["groups"]["losses/value_loss"], rtol=0.05)
    assert runs["groups"] == runs["workers"]


def test_ctrl_c_with_env_workers_checkpoints_and_resumes(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group: the workers leave it to the learner, which
    finishes its update, checkpoints and closes them, and exits with 130 (not 0: the run is not
    finished, so `train && diagnose` stops); the run then resumes."""
    run_dir = tmp_path / "interrupted"
    command = [sys.executable, str(ROOT / "agents" / "ppo.py"), *PPO_TINY, "--env-workers", "2"]
    command += ["--total-timesteps", "1000000", "--run-dir", str(run_dir)]
    proc = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.time() + 120
    while not list(run_dir.glob("events.*")) or not scalars(run_dir, "charts/SPS"):  # one update done
        assert time.time() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-3000:]
    assert "stopped by SIGINT at update" in out and "Traceback" not in err
    saved = checkpoint(run_dir)
    assert saved["global_step"] == saved["update"] * 128
    resumed = run_script("ppo.py", "--resume", str(run_dir), "--total-timesteps", str(saved["global_step"] + 256))
    assert f"global_step {saved['global_step']}" in resumed.stdout


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        (["--env-groups", "3"], "--env-groups must divide --num-envs"),
        (["--env-workers", "1", "--env-groups", "2"], "multiple of --env-groups"),
    ],
)
def test_bad_env_layout_fails_before_a_run_dir_exists(tmp_path: Path, layout: list[str], message: str) -> None:
    run_dir = tmp_path / "run"
    proc = run_script("ppo.py", *PPO_TINY, *layout, "--run-dir", str(run_dir), check=False)
    assert proc.returncode != 0 and message in proc.stderr
    assert not run_dir.exists()


def test_env_kwargs_reach_the_game_and_the_loaded_policy(tmp_path: Path) -> None:
    run_dir = tmp_path / "one-drop"
    run_script("ppo.py", *PPO_TINY, "--env-kwargs", '{"drops": 1, "spawn": "left"}', "--run-dir", str(run_dir))
    returns = scalars(run_dir, "charts/episodic_return")
    assert len(returns) >= 10 and set(returns) <= {-1.0, 1.0}  # one fruit per episode: caught or missed
    policy = load_policy(run_dir)
    assert policy.trained_with == {"drops": 1, "spawn": "left"}
    # The battery, called from Python with no trained_with, plays the run's layout by itself.
    from scoregames.diagnostics import BatteryConfig, run_battery

    config = BatteryConfig.quick(episodes=2, positional_episodes=2, max_steps=50, parts=("positional",))
    report = run_battery(policy, policy.run_arguments["env_id"], config=config, progress=False)
    assert report.config["game_kwargs"] == {"drops": 1, "spawn": "left"}
    assert report.metrics["positional"]["applicable"] and report.metrics["positional"]["train"] == "left"


@pytest.mark.parametrize("script", ["ppo.py", "dqn.py"])
@pytest.mark.parametrize(("value", "message"), [("[1]", "must be a JSON object"), ("{bad", "not valid JSON")])
def test_bad_env_kwargs_fail_before_a_run_dir_exists(tmp_path: Path, script: str, value: str, message: str) -> None:
    run_dir = tmp_path / "run"
    proc = run_script(script, "--env-kwargs", value, "--no-cuda", "--run-dir", str(run_dir), check=False)
    assert proc.returncode != 0 and message in proc.stderr
    assert not run_dir.exists()


def test_diagnose_of_a_run_trained_on_another_env_says_to_give_a_scoregames_env(
    ppo_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An ALE run's args.json names ALE/...: the error says where the id came from and what to give."""
    from scoregames.cli import main

    run = tmp_path / "ale-run"
    shutil.copytree(ppo_run, run)
    saved = json.loads((run / "args.json").read_text())
    (run / "args.json").write_text(json.dumps({**saved, "env_id": "ALE/Breakout-v5"}))
    assert main(["diagnose", str(run), "--quick", "--no-progress", "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert "trained on ALE/Breakout-v5 (its args.json)" in error and "--env ScoreGames/" in error
    assert not (tmp_path / "out").exists()


def test_scoregames_diagnose_reads_a_real_run_dir(ppo_run: Path, tmp_path: Path) -> None:
    """The path `make demo` takes: a run dir written by agents/ppo.py, diagnosed by the CLI."""
    from scoregames.cli import main

    out = tmp_path / "diagnosis"
    argv = ["diagnose", str(ppo_run), "--quick", "--episodes", "2", "--no-progress", "--out", str(out)]
    assert main(argv) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["verdict"] in {"true-score", "displayed-score", "positional", "mixed", "indeterminate"}
    assert any('"hud": "standard"' in note for note in report["notes"])


@pytest.mark.parametrize("script", ["ppo", "dqn"])
def test_episodic_life_marks_each_lost_life_once_and_not_the_game_over(script: str) -> None:
    """Breakout with 3 lives: two lost lives end an episode for learning, the third is the real end."""
    agent = {"ppo": ppo, "dqn": dqn}[script]
    args = agent.Args(env_id="ScoreGames/Breakout-v0", num_envs=2, env_kwargs='{"lives": 3}')
    envs = agent.make_env_groups(args, "test")[0] if script == "ppo" else agent.make_vector_env(args, "test")
    _, infos = envs.reset(seed=0)
    lives = infos["lives"]
    assert lives.tolist() == [3, 3]
    rng = np.random.default_rng(0)
    marked_lives: list[list[int]] = [[], []]
    finished = np.zeros(2, bool)
    while not finished.all():
        _, _, terminated, truncated, infos = envs.step(rng.integers(0, 4, 2))  # FIRE serves now and then
        done = terminated | truncated
        lost = agent.life_lost(lives, infos["lives"], done)
        for i in np.flatnonzero(lost & ~finished):
            marked_lives[i].append(int(infos["lives"][i]))
        assert not (lost & done).any()
        assert (infos["lives"][done] == 3).all()  # a finished game's next lives are its reset's
        finished |= done
        lives = infos["lives"]
    assert marked_lives == [[2, 1], [2, 1]]
    envs.close()


def test_episodic_life_changes_learning_only_in_games_with_lives(tmp_path: Path) -> None:
    """Catch has no lives: the option leaves its losses bit-identical; on Breakout it is live."""
    losses = {}
    for env_id in ("ScoreGames/Catch-v1", "ScoreGames/Breakout-v0"):
        for flag in ("--episodic-life", "--no-episodic-life"):
            run_dir = tmp_path / f"{env_id.split('/')[1]}{flag}"
            run_script("ppo.py", *PPO_TINY, "--env-id", env_id, "--seed", "2", "--run-dir", str(run_dir), flag)
            losses[env_id, flag] = scalars(run_dir, "losses/value_loss")
    assert losses["ScoreGames/Catch-v1", "--episodic-life"] == losses["ScoreGames/Catch-v1", "--no-episodic-life"]
    assert losses["ScoreGames/Breakout-v0", "--episodic-life"] != losses["ScoreGames/Breakout-v0", "--no-episodic-life"]


def test_default_learning_rate_is_cleanrls_except_where_a_game_is_tuned() -> None:
    assert ppo.default_learning_rate("ScoreGames/Catch-v1") == ppo.default_learning_rate("ScoreGames/Catch-v0") == 1e-3
    for env_id in ("ScoreGames/Breakout-v0", "ScoreGames/Pong-v0", "CartPole-v1"):
        assert ppo.default_learning_rate(env_id) == 2.5e-4
    assert set(ppo.TUNED_LEARNING_RATES) <= set(scoregames.GAMES)


def cleanrl_gae(rewards, dones, values, next_value, next_done, gamma: float, gae_lambda: float) -> np.ndarray:
    """CleanRL's ppo_atari.py advantage loop, on torch tensors, as written there."""
    rewards, dones, values, next_value, next_done = map(
        torch.as_tensor, (rewards, dones, values, next_value, next_done)
    )
    advantages = torch.zeros_like(rewards)
    lastgaelam = 0
    for t in reversed(range(len(rewards))):
        if t == len(rewards) - 1:
            nextnonterminal = 1.0 - next_done
            nextvalues = next_value
        else:
            nextnonterminal = 1.0 - dones[t + 1]
            nextvalues = values[t + 1]
        delta = rewards[t] + gamma * nextvalues * nextnonterminal - values[t]
        advantages[t] = lastgaelam = delta + gamma * gae_lambda * nextnonterminal * lastgaelam
    return advantages.numpy()


def test_host_gae_is_cleanrls_bit_for_bit() -> None:
    rng = np.random.default_rng(3)
    steps, envs = 64, 6
    rewards = rng.normal(size=(steps, envs)).astype(np.float32)
    dones = (rng.random((steps, envs)) < 0.1).astype(np.float32)
    values = rng.normal(size=(steps, envs)).astype(np.float32)
    next_value = rng.normal(size=(1, envs)).astype(np.float32)
    next_done = np.array([0, 1, 0, 0, 1, 0], np.float32)
    ours = ppo.gae(rewards, dones, values, next_value, next_done, 0.99, 0.95)
    assert ours.dtype == np.float32 and ours.shape == (steps, envs)
    np.testing.assert_array_equal(ours, cleanrl_gae(rewards, dones, values, next_value, next_done, 0.99, 0.95))
    # an episode end cuts the sum: the step before a done sees only its own TD error
    t, i = map(int, np.argwhere(dones[1:] == 1)[0])
    assert ours[t, i] == np.float32(rewards[t, i] - values[t, i])


def test_act_returns_the_sampled_action_its_log_prob_and_value() -> None:
    from scoregames.policies import build_network

    agent = build_network("ppo", 4)
    frames = torch.randint(0, 256, (5, 4, 84, 84), dtype=torch.uint8)
    torch.manual_seed(7)
    fetched = ppo.act(agent, frames)
    torch.manual_seed(7)
    with torch.no_grad():
        action, logprob, _, value = agent.get_action_and_value(frames)
    assert fetched.shape == (3, 5) and fetched.dtype == np.float32
    np.testing.assert_array_equal(fetched[0], action.numpy())
    np.testing.assert_array_equal(fetched[1], logprob.numpy())
    np.testing.assert_array_equal(fetched[2], value.flatten().numpy())
    _, relogprob, _, _ = agent.get_action_and_value(frames, torch.as_tensor(fetched[0]).long())
    np.testing.assert_array_equal(relogprob.detach().numpy(), fetched[1])  # the update scores the same action


# ---------------------------------------------------------------------- refused starts, resume, signals
AGENTS = {"ppo.py": ppo, "dqn.py": dqn}
TINY_ARGS = {  # the tiny budgets above, as Args fields (for run directories written without training)
    "ppo.py": {"total_timesteps": 256, "num_envs": 2, "num_steps": 64, "cuda": False, "torch_threads": 1},
    "dqn.py": {
        "total_timesteps": 300, "learning_starts": 100, "buffer_size": 2000, "cuda": False, "torch_threads": 1,
        "target_network_frequency": 50,
    },
}  # fmt: skip


def fake_run(run_dir: Path, script: str, args_env_id: str, checkpoint_env_id: str | None, n_actions: int = 3) -> None:
    """A run directory as the script leaves it, without training: args.json and (unless
    ``checkpoint_env_id`` is None) a checkpoint of an untrained network for ``n_actions`` actions."""
    agent = AGENTS[script]
    run_dir.mkdir(parents=True)
    args = agent.Args(env_id=args_env_id, run_dir=str(run_dir), **TINY_ARGS[script])
    if script == "ppo.py":
        args.learning_rate = 1e-3
    write_run_args(run_dir, dataclasses.asdict(args))
    if checkpoint_env_id is not None:
        algo = script.removesuffix(".py")
        network = build_network(algo, n_actions)
        payload = {"algo": algo, "env_id": checkpoint_env_id, "hud": "standard", "reward_source": "true"}
        payload |= {"n_actions": n_actions, "obs_shape": [4, 84, 84], "preprocess": "gym-gray-area84"}
        payload |= {"model": network.state_dict(), "global_step": 256, "update": 2}
        save_checkpoint(run_dir / "checkpoint.pt", payload)


@pytest.mark.parametrize("script", ["ppo.py", "dqn.py"])
@pytest.mark.parametrize(
    ("checkpoint_env_id", "n_actions", "message"),
    [
        (
            "ScoreGames/Catch-v1",
            3,
            "expected env_id 'ScoreGames/Breakout-v0' (from args.json), got 'ScoreGames/Catch-v1'",
        ),
        ("ScoreGames/Breakout-v0", 3, "expected n_actions 4 (from the env ScoreGames/Breakout-v0), got 3"),
    ],
)
def test_resume_refuses_another_runs_checkpoint_and_changes_nothing(
    tmp_path: Path, script: str, checkpoint_env_id: str, n_actions: int, message: str
) -> None:
    """A Catch (3-action) checkpoint in a Breakout run directory would train on the wrong game and
    then be overwritten by a checkpoint load_policy cannot read: refused before anything runs."""
    run_dir = tmp_path / "run"
    fake_run(run_dir, script, "ScoreGames/Breakout-v0", checkpoint_env_id, n_actions)
    saved = json.loads((run_dir / "args.json").read_text())
    write_run_args(run_dir, {**saved, "capture_video": True})  # RecordVideo makes its folder: removed again
    before = {path.name: path.read_bytes() for path in run_dir.iterdir()}
    proc = run_script(script, "--resume", str(run_dir), check=False)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    assert {path.name: path.read_bytes() for path in run_dir.iterdir()} == before  # no events, no videos


@pytest.mark.parametrize("script", ["ppo.py", "dqn.py"])
def test_resume_refuses_a_checkpoint_without_the_training_state(tmp_path: Path, script: str) -> None:
    """A weights-only checkpoint (no optimizer, counters, RNG) loads as a policy but cannot be resumed."""
    run_dir = tmp_path / "run"
    fake_run(run_dir, script, "ScoreGames/Catch-v1", "ScoreGames/Catch-v1")
    before = {path.name: path.read_bytes() for path in run_dir.iterdir()}
    proc = run_script(script, "--resume", str(run_dir), check=False)
    assert proc.returncode == 2 and "lacks optimizer, rng" in proc.stderr and "Traceback" not in proc.stderr
    assert {path.name: path.read_bytes() for path in run_dir.iterdir()} == before
    assert load_policy(run_dir).n_actions == 3


def test_a_run_killed_before_its_first_checkpoint_restarts_on_resume(tmp_path: Path) -> None:
    """SIGKILL before the first checkpoint leaves args.json and events: --run-dir refuses the folder,
    --resume restarts the run from step 0 with its saved args, keeping the stopped attempt's events."""
    run_dir = tmp_path / "killed"
    command = [sys.executable, str(ROOT / "agents" / "ppo.py"), *PPO_TINY, "--total-timesteps", "1000000"]
    proc = subprocess.Popen([*command, "--checkpoint-every", "1000", "--run-dir", str(run_dir)], cwd=ROOT)
    deadline = time.time() + 120
    while not list(run_dir.glob("events.*")):
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.2)
    proc.kill()
    proc.wait()
    assert not (run_dir / "checkpoint.pt").exists()
    [stopped_events] = run_dir.glob("events.*")
    refused = run_script("ppo.py", *PPO_TINY, "--run-dir", str(run_dir), check=False)
    assert refused.returncode == 2 and f"use --resume {run_dir}" in refused.stderr

    restarted = run_script("ppo.py", "--resume", str(run_dir), "--total-timesteps", "256")
    assert "restarting the run from step 0" in restarted.stdout and "update 1/2" in restarted.stdout
    assert checkpoint(run_dir)["global_step"] == 256 and stopped_events.exists()
    assert len(list(run_dir.glob("events.*"))) == 2
    assert len(scalars(run_dir, "charts/learning_rate")) == 2  # TensorBoard shows the restart only
    assert json.loads((run_dir / "args.json").read_text())["total_timesteps"] == 1000000  # the user's record


def test_dqn_resume_restarts_a_run_without_checkpoint(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    fake_run(run_dir, "dqn.py", "ScoreGames/Catch-v1", checkpoint_env_id=None)
    proc = run_script("dqn.py", "--resume", str(run_dir))
    assert "restarting the run from step 0" in proc.stdout
    assert checkpoint(run_dir)["global_step"] == 300
    assert json.loads((run_dir / "summary.json").read_text())["finished"] is True


def test_videos_go_into_the_run_dir_and_a_resume_keeps_the_earlier_ones(tmp_path: Path) -> None:
    run_dir = tmp_path / "a" / "run"
    tiny = [*PPO_TINY[2:], "--total-timesteps", "256", "--capture-video"]
    run_script("ppo.py", *tiny, "--run-dir", str(run_dir), "--stop-after-updates", "1")
    first = run_dir / "videos" / "rl-video-episode-0.mp4"
    before = first.read_bytes()
    run_script("ppo.py", "--resume", str(run_dir))
    assert first.read_bytes() == before
    assert (run_dir / "videos" / "resumed-at-step-128" / "rl-video-episode-0.mp4").is_file()
    assert not (ROOT / "videos" / "run").exists()  # not beside the working directory any more


def test_video_folder_never_reuses_a_folder(tmp_path: Path) -> None:
    assert video_folder(tmp_path) == tmp_path / "videos"
    assert video_folder(tmp_path, "resumed-at-step-5") == tmp_path / "videos" / "resumed-at-step-5"
    (tmp_path / "videos" / "resumed-at-step-5").mkdir(parents=True)
    assert video_folder(tmp_path, "resumed-at-step-5") == tmp_path / "videos" / "resumed-at-step-5-2"


@pytest.mark.parametrize(
    ("script", "options", "message"),
    [
        ("ppo.py", ["--num-minibatches", "0"], "--num-minibatches must be >= 1, got 0"),
        ("ppo.py", ["--total-timesteps", "100"], "less than one batch (--num-envs x --num-steps = 128 steps)"),
        ("ppo.py", ["--env-kwargs", '{"hud": "tamper"}'], "may not set 'hud': use --hud"),
        ("ppo.py", ["--env-id", "Nope"], "ScoreGames ids: ScoreGames/Catch-v1, ScoreGames/Breakout-v0"),
        ("ppo.py", ["--hud", "bogus"], "unknown HUD preset 'bogus'; valid: standard"),
        ("ppo.py", ["--seed", "-1"], "--seed must be in 0 .. 2**32 - 1"),
        ("dqn.py", ["--exploration-fraction", "0"], "--exploration-fraction must be > 0"),
        ("dqn.py", ["--train-frequency", "0"], "--train-frequency must be >= 1, got 0"),
    ],
)
def test_bad_options_fail_in_one_line_before_a_run_dir_exists(
    tmp_path: Path, script: str, options: list[str], message: str
) -> None:
    run_dir = tmp_path / "run"
    tiny = PPO_TINY if script == "ppo.py" else DQN_TINY
    proc = run_script(script, *tiny, *options, "--run-dir", str(run_dir), check=False)
    assert proc.returncode == 2 and message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not run_dir.exists()


@pytest.mark.parametrize(
    ("script", "fields", "message"),
    [
        ("ppo.py", {"num_envs": 0}, "--num-envs must be >= 1"),
        ("ppo.py", {"num_steps": 0}, "--num-steps must be >= 1"),
        ("ppo.py", {"checkpoint_every": 0}, "--checkpoint-every must be >= 1"),
        ("ppo.py", {"torch_threads": -1}, "--torch-threads must be >= 0"),
        ("ppo.py", {"learning_rate": -1.0}, "--learning-rate must be a positive number"),
        ("ppo.py", {"eval_episodes": -1}, "--eval-episodes must be >= 0"),
        ("ppo.py", {"num_minibatches": 2000}, "--num-minibatches must be at most the batch size (1024)"),
        (
            "ppo.py",
            {"num_minibatches": 3},
            "--num-minibatches must divide the batch size (--num-envs x --num-steps = 1024)",
        ),
        (
            "ppo.py",
            {"num_envs": 1, "num_steps": 4, "total_timesteps": 4, "num_minibatches": 4},
            "--norm-adv needs minibatches of at least 2 samples",
        ),
        ("ppo.py", {"env_kwargs": '{"reward_source": "displayed"}'}, "use --reward-source"),
        ("ppo.py", {"env_id": "ScoreGames/Catch-v9"}, "versioned environments"),
        ("dqn.py", {"target_network_frequency": 0}, "--target-network-frequency must be >= 1"),
        ("dqn.py", {"buffer_size": 0}, "--buffer-size must be >= 1"),
        ("dqn.py", {"batch_size": 0}, "--batch-size must be >= 1"),
        ("dqn.py", {"total_timesteps": 1000}, "must exceed --learning-starts 80000"),
        ("dqn.py", {"env_kwargs": '{"workers": 2}'}, "use --env-workers"),
    ],
)
def test_prepare_run_refuses_bad_options_and_writes_nothing(
    tmp_path: Path, script: str, fields: dict, message: str
) -> None:
    agent = AGENTS[script]
    run_dir = tmp_path / "run"
    with pytest.raises(ValueError, match=re.escape(message)):
        agent.prepare_run(agent.Args(run_dir=str(run_dir), **fields))
    assert not run_dir.exists()


def test_run_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    taken = tmp_path / "results.txt"
    taken.write_text("the user's")
    for target, message in ((taken, "is a file, not a directory"), (taken / "run", f"{taken} is a file")):
        proc = run_script("ppo.py", *PPO_TINY, "--run-dir", str(target), check=False)
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    assert taken.read_text() == "the user's"


@pytest.mark.parametrize("script", ["ppo.py", "dqn.py"])
def test_resume_without_a_readable_args_json_says_why(tmp_path: Path, script: str) -> None:
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "args.json").write_text("{not json")
    cases = [
        (tmp_path / "nowhere", "no such run directory"),
        (tmp_path, "holds no args.json"),
        (corrupt, "not valid JSON"),
    ]
    for run_dir, message in cases:
        proc = run_script(script, "--resume", str(run_dir), check=False)
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_resume_takes_budget_and_evaluation_from_the_command_line_only_when_given(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    fake_run(run_dir, "ppo.py", "ScoreGames/Catch-v1", checkpoint_env_id=None)
    saved = json.loads((run_dir / "args.json").read_text())
    write_run_args(run_dir, {**saved, "eval_episodes": 3, "eval_greedy": True, "checkpoint_every": 7})
    args, _, _ = ppo.prepare_run(ppo.Args(resume=str(run_dir), num_envs=4, hud="tamper"), {"resume"})
    assert (args.eval_episodes, args.eval_greedy, args.checkpoint_every, args.total_timesteps) == (3, True, 7, 256)
    assert (args.num_envs, args.hud) == (2, "standard")  # args.json wins for everything else
    given = {"resume", "eval_episodes", "eval_greedy", "total_timesteps", "no_eval_greedy"}
    cli = ppo.Args(resume=str(run_dir), eval_episodes=0, eval_greedy=False, total_timesteps=10_000_000)
    args, _, _ = ppo.prepare_run(cli, given)
    assert (args.eval_episodes, args.eval_greedy, args.total_timesteps) == (0, False, 10_000_000)


def test_sigterm_stops_dqn_with_a_checkpoint_and_status_143(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    command = [sys.executable, str(ROOT / "agents" / "dqn.py"), *DQN_TINY, "--total-timesteps", "1000000"]
    command += ["--checkpoint-every", "5", "--run-dir", str(run_dir)]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (run_dir / "checkpoint.pt").exists():  # the loop (and its signal handler) is running
        assert time.time() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err[-3000:]
    assert "stopped by SIGTERM" in out and not (run_dir / "summary.json").exists()
    assert checkpoint(run_dir)["global_step"] < 1000000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"hud": "tamper"}', "use --hud"),
        ('{"num_envs": 4}', "use --num-envs"),
        ('{"autoreset_mode": "next_step"}', "the agents fix it"),
        ('{"preprocess": false}', "the agents fix it"),
    ],
)
def test_env_kwargs_refuse_what_a_dedicated_flag_sets(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_env_kwargs(text)
    assert parse_env_kwargs(text, allow_reserved=True) == json.loads(text)  # old runs still load


def test_a_device_problem_is_not_reported_as_a_corrupt_checkpoint(ppo_run: Path) -> None:
    with pytest.raises(ValueError, match="unknown device 'nope'; valid here: cpu"):
        load_policy(ppo_run, device="nope")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device 'cuda' is not available on this machine; valid here: cpu"):
            load_policy(ppo_run, device="cuda")


@pytest.mark.parametrize(
    ("options", "message"),
    [(["--json", "/nonexistent/x.json"], "folder /nonexistent does not exist"), (["--episodes", "0"], ">= 1")],
)
def test_reference_scores_refuses_bad_options_before_playing(options: list[str], message: str) -> None:
    proc = run_script("reference_scores.py", "--games", "Catch", *options, check=False)
    assert proc.returncode == 2 and message in proc.stderr


def test_ppo_bootstraps_a_time_limit_cut_but_never_a_terminal_step() -> None:
    """Gymnasium's TimeLimit (and the native env's max_episode_steps) set truncated on a terminal
    step too: Catch's 490th step with a limit of 490 is terminal, no gamma * V(final_obs) added."""
    args = ppo.Args(num_envs=2)
    seen = []

    def value_of(final_obs: np.ndarray) -> np.ndarray:
        seen.append(final_obs.shape)
        return np.full(len(final_obs), 100.0)

    for limit, bootstrapped in ((100, True), (490, False)):
        args.env_kwargs = json.dumps({"max_episode_steps": limit})
        envs = ppo.make_env_groups(args, "test")[0]
        envs.reset(seed=0)
        for _ in range(limit):
            _, reward, terminated, truncated, infos = envs.step(np.zeros(2, np.int64))
        assert truncated.all() and terminated.all() == (not bootstrapped)
        rewards = ppo.learning_rewards(reward, terminated, truncated, infos, value_of, args)
        np.testing.assert_array_equal(rewards, np.sign(reward) + (args.gamma * 100.0 if bootstrapped else 0.0))
        envs.close()
    assert seen == [(2, 4, 84, 84)]  # the value of the final observations, asked once, for the live cut only


def test_dqn_trains_once_per_train_frequency_steps_with_more_envs_than_that(tmp_path: Path) -> None:
    """8 envs, --train-frequency 4: two updates per vector step, as one env makes every 4 steps."""
    for num_envs in (1, 8):
        run_dir = tmp_path / str(num_envs)
        run_script("dqn.py", *DQN_TINY, "--total-timesteps", "800", "--learning-starts", "400",
                   "--num-envs", str(num_envs), "--run-dir", str(run_dir))  # fmt: skip
        data = checkpoint(run_dir)
        assert (data["global_step"], data["update"]) == (800, 100)


def test_a_resume_hides_the_events_a_killed_run_logged_after_its_checkpoint(tmp_path: Path) -> None:
    """Killed after update 3 but before its checkpoint, a run resumes from update 2 and logs update 3
    again: TensorBoard must show it once."""
    run_dir = tmp_path / "run"
    run_script("ppo.py", *PPO_TINY, "--run-dir", str(run_dir), "--stop-after-updates", "2")
    at_update_2 = (run_dir / "checkpoint.pt").read_bytes()
    run_script("ppo.py", "--resume", str(run_dir), "--no-cuda", "--stop-after-updates", "1")  # logs update 3
    (run_dir / "checkpoint.pt").write_bytes(at_update_2)  # as if SIGKILLed before update 3's checkpoint
    run_script("ppo.py", "--resume", str(run_dir), "--no-cuda")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(run_dir))
    accumulator.Reload()
    assert [event.step for event in accumulator.Scalars("charts/learning_rate")] == [128, 256, 384, 512]


@pytest.mark.parametrize("script", ["ppo.py", "dqn.py"])
def test_ctrl_c_in_the_final_evaluation_stops_it_with_130(tmp_path: Path, script: str) -> None:
    """The evaluation after training obeys Ctrl-C too: exit 130 without a summary; --resume
    evaluates again and writes it."""
    run_dir = tmp_path / "run"
    tiny = [*PPO_TINY, "--total-timesteps", "128"] if script == "ppo.py" else DQN_TINY
    command = [
        sys.executable,
        str(ROOT / "agents" / script),
        *tiny,
        "--eval-episodes",
        "100",
        "--run-dir",
        str(run_dir),
    ]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (run_dir / "checkpoint.pt").exists():  # trained: the evaluation starts
        assert time.time() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    time.sleep(2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-3000:]
    assert "stopped by SIGINT in the evaluation" in out and not (run_dir / "summary.json").exists()
    run_script(script, "--resume", str(run_dir), "--no-cuda", "--eval-episodes", "1")
    assert json.loads((run_dir / "summary.json").read_text())["eval_return_mean"] is not None


def test_the_final_evaluation_plays_ale_games_as_trained_and_scoregames_as_configured() -> None:
    """ALE: training's wrappers restart play after each lost life (FIRE), so the evaluation's
    whole-game episode must too; a NOOP-only player then loses all 5 lives in a few hundred
    steps, where the bare env would never serve and wait out the 27,000-step cap."""
    ale_py = pytest.importorskip("ale_py")
    pytest.importorskip("stable_baselines3")
    gym.register_envs(ale_py)
    env = evaluation_env("ALE/Breakout-v5", "standard", "true", repeat_action_probability=0.0)
    env.reset(seed=0)
    lives = []
    for _ in range(2000):
        _, _, terminated, truncated, info = env.step(0)
        lives.append(info["lives"])
        if terminated or truncated:
            break
    assert terminated and lives[-1] == 0 and sorted(set(lives)) == [0, 1, 2, 3, 4, 5]
    env.close()
    ours = evaluation_env("ScoreGames/Catch-v1", "tamper", "displayed", drops=3)
    ours.reset(seed=0)
    assert ours.unwrapped.hud_config.tamper and ours.unwrapped.reward_source == "displayed"
    assert ours.unwrapped.game_state.drops_left == 3
    ours.close()


def test_the_ale_evaluation_feeds_the_network_the_stacks_training_made() -> None:
    """After a lost life training's EpisodicLifeEnv resets, which restarts the frame stack; the
    evaluation plays on in one episode, so the policy's history must restart there too, or the
    network sees three frames from before the lost life that it never saw in training."""
    ale_py = pytest.importorskip("ale_py")
    pytest.importorskip("stable_baselines3")
    gym.register_envs(ale_py)
    from scoregames.policies import LoadedPolicy, play_evaluation

    actions = np.random.default_rng(0).integers(0, 4, 5000)

    class Scripted(LoadedPolicy):
        """Records the stacks it is given and plays ``actions`` in turn."""

        def act(self, frame, info=None, deterministic=None):
            super().act(frame, info)
            return int(actions[len(self.seen) - 1])

        def _forward(self, stacked):
            self.seen.append(stacked[0])
            return super()._forward(stacked)

    policy = Scripted(build_network("ppo", 4), "ppo", preprocess="ale-resize-gray84")
    policy.seen = []
    env = evaluation_env("ALE/Breakout-v5", "standard", "true", repeat_action_probability=0.0)
    play_evaluation(policy, env, 1, 7, False, lambda: False, lambda episode, value: None)
    env.close()
    train = ppo.make_env("ALE/Breakout-v5", 0, False, "", "standard", "true", repeat_action_probability=0.0)()
    obs, _ = train.reset(seed=7 + 1_000_000)  # play_evaluation's seed for episode 0
    trained_on = [obs]
    for action in actions[: len(policy.seen) - 1]:
        obs, _, terminated, truncated, _ = train.step(int(action))
        if terminated or truncated:  # SAME_STEP: the agent acts on the reset's observation
            obs, _ = train.reset()
        trained_on.append(obs)
    train.close()
    assert len(policy.seen) > 100  # a whole game of 5 lives
    np.testing.assert_array_equal(np.stack(policy.seen), np.stack(trained_on))


def test_two_runs_starting_into_the_same_folder_at_once_never_share_it(tmp_path: Path) -> None:
    """The default run name has one-second resolution and no HUD: two runs started together (e.g.
    --hud standard and --hud tamper) both find the folder free. Only the first to write its
    args.json gets it; the other closes its envs and is refused, leaving the first run's files."""
    from scoregames.policies import check_new_run_dir, open_run_dir

    run_dir = tmp_path / "ScoreGamesCatch-v1__ppo__1__1795828586"
    for _ in range(2):  # both runs check before either opens the folder
        check_new_run_dir(run_dir)
    assert open_run_dir(run_dir, {"hud": "standard"}, False, None, []) is False
    envs = ppo.make_env_groups(ppo.Args(num_envs=2), "test")
    with pytest.raises(FileExistsError, match="taken by another run"):
        open_run_dir(run_dir, {"hud": "tamper"}, False, None, envs)
    assert json.loads((run_dir / "args.json").read_text()) == {"hud": "standard"}
    assert sorted(path.name for path in run_dir.iterdir()) == ["args.json"]
    assert envs[0].closed


@pytest.mark.parametrize("script", ["ppo", "dqn"])
def test_resume_names_an_edited_args_json_value_of_the_wrong_type(tmp_path: Path, script: str) -> None:
    """An args.json edited by hand ("8" for 8, 1 for true, 1.5 steps) is a clear error naming the
    option and its type, not a TypeError traceback from deep inside the checks."""
    agent = {"ppo": ppo, "dqn": dqn}[script]
    cases = [("num_envs", "2", "--num-envs '2', expected int"), ("num_envs", True, "--num-envs True, expected int"),
             ("total_timesteps", 1.5, "--total-timesteps 1.5, expected int"),
             ("clip_rewards", 1, "--clip-rewards 1, expected bool"),
             ("learning_rate", "1e-3", "--learning-rate '1e-3', expected float")]  # fmt: skip
    for field, value, message in cases:
        run_dir = tmp_path / f"{field}-{value!r}"
        run_dir.mkdir()
        write_run_args(run_dir, {**dataclasses.asdict(agent.Args(run_dir=str(run_dir))), field: value})
        with pytest.raises(ValueError, match=re.escape(message)):
            agent.prepare_run(agent.Args(resume=str(run_dir)))
        assert sorted(path.name for path in run_dir.iterdir()) == ["args.json"]
    if script == "ppo":  # the learning rate left out: the game's default, as a new run resolves it
        run_dir = tmp_path / "no-rate"
        run_dir.mkdir()
        write_run_args(run_dir, {**dataclasses.asdict(ppo.Args(run_dir=str(run_dir))), "learning_rate": None})
        assert ppo.prepare_run(ppo.Args(resume=str(run_dir)))[0].learning_rate == 1e-3


def test_load_policy_given_the_checkpoint_file_still_reads_its_runs_args(tmp_path: Path) -> None:
    """load_policy takes the run directory or its checkpoint.pt (read_checkpoint accepts both); from
    the file it must still find args.json, or run_battery plays the game's default layout."""
    run_dir = tmp_path / "run"
    fake_run(run_dir, "ppo.py", "ScoreGames/Catch-v1", "ScoreGames/Catch-v1")
    saved = json.loads((run_dir / "args.json").read_text())
    write_run_args(run_dir, {**saved, "env_kwargs": '{"spawn": "left"}'})
    for source in (run_dir, run_dir / "checkpoint.pt"):
        policy = load_policy(source)
        assert policy.trained_with == {"spawn": "left"}
        assert policy.run_arguments["env_id"] == "ScoreGames/Catch-v1" and policy.run_arguments["spawn"] == "left"


def test_no_episodic_life_leaves_out_ales_episodic_life_wrapper(tmp_path: Path) -> None:
    """On ALE the option is CleanRL's EpisodicLifeEnv: with it a lost life ends the episode (and the
    evaluation serves again); without it the game plays on and nobody serves for the agent. ALE
    runs from before the option trained with the wrapper, and resume with it."""
    ale_py = pytest.importorskip("ale_py")
    pytest.importorskip("stable_baselines3")
    gym.register_envs(ale_py)
    sticky = {"repeat_action_probability": 0.0}
    for episodic_life in (True, False):
        envs = {
            "ppo": ppo.make_env("ALE/Breakout-v5", 0, False, "", "standard", "true", episodic_life, **sticky)(),
            "dqn": dqn.make_env("ALE/Breakout-v5", 0, False, "", "standard", "true", episodic_life, **sticky)(),
            "evaluation": evaluation_env("ALE/Breakout-v5", "standard", "true", episodic_life, **sticky),
        }
        for name, env in envs.items():
            env.reset(seed=0)
            for _ in range(1000):  # NOOPs: the served ball is lost within ~30 steps
                _, _, terminated, truncated, info = env.step(0)
                if terminated or truncated:
                    break
            if name == "evaluation":  # whole games: with the option, served after each life until game over
                assert info["lives"] == (0 if episodic_life else 4)
            else:
                assert terminated == episodic_life and info["lives"] == 4
            env.close()
    for env_id, expected in (("ALE/Breakout-v5", True), ("ScoreGames/Breakout-v0", False)):
        run_dir = tmp_path / env_id.replace("/", "_")
        run_dir.mkdir()
        saved = dataclasses.asdict(ppo.Args(env_id=env_id, run_dir=str(run_dir), learning_rate=2.5e-4))
        del saved["episodic_life"]
        write_run_args(run_dir, saved)
        assert ppo.prepare_run(ppo.Args(resume=str(run_dir)))[0].episodic_life is expected


def test_load_policy_refuses_an_unknown_preprocess_and_unreadable_env_kwargs(tmp_path: Path) -> None:
    """Both would fail only later (the first act(), the diagnostics' trained_with), far from the file."""
    run_dir = tmp_path / "run"
    fake_run(run_dir, "ppo.py", "ScoreGames/Catch-v1", "ScoreGames/Catch-v1")
    saved = json.loads((run_dir / "args.json").read_text())
    for env_kwargs in ("{bad", {"spawn": "left"}, "[1]"):
        write_run_args(run_dir, {**saved, "env_kwargs": env_kwargs})
        with pytest.raises(ValueError, match=re.escape(f"corrupt {run_dir / 'args.json'}: env_kwargs must be")):
            load_policy(run_dir)
    write_run_args(run_dir, saved)
    data = checkpoint(run_dir)
    save_checkpoint(run_dir / "checkpoint.pt", {**data, "preprocess": "bogus"})
    with pytest.raises(ValueError, match="mismatched checkpoint.*expected preprocess in.*gym-gray-area84.*got 'bogus'"):
        load_policy(run_dir)


def test_replay_buffer_samples_a_sparsely_filled_buffer_at_once() -> None:
    """CleanRL's 1M buffer with a small --learning-starts: the first batches come from a few dozen
    transitions. Drawing slots over the whole capacity took millions of draws per batch (a run
    that seemed to hang); drawn among the written slots, a batch is immediate and correct."""
    buffer = dqn.FrameReplayBuffer(capacity=1_000_000, num_envs=1)
    frames = np.arange(41, dtype=np.uint8)[:, None, None, None] * np.ones((1, 4, 84, 84), np.uint8)
    buffer.start(frames[0][None])
    for t in range(1, 41):
        done = np.array([t % 15 == 0])
        buffer.add(np.array([t]), np.array([1.0]), done, frames[t][None], frames[t][None], done)

    def too_slow(signum, frame):
        raise TimeoutError("sampling 32 of 40 transitions took over 20 s")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(20)
    try:
        observations, actions, _, next_observations, _ = buffer.sample(32, np.random.default_rng(0))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert set(actions.tolist()) <= set(range(1, 41))
    np.testing.assert_array_equal(observations[:, -1, 0, 0], actions - 1)  # the frame the action was taken on
    np.testing.assert_array_equal(next_observations[:, -1, 0, 0], actions)


@pytest.mark.parametrize("script", ["ppo", "dqn"])
def test_hud_and_reward_source_are_refused_for_an_ale_id(tmp_path: Path, script: str) -> None:
    """ALE has no HUD presets or displayed reward: they were ignored while args.json and the
    checkpoint recorded them (so the diagnostics' notes said "trained with hud tamper")."""
    pytest.importorskip("ale_py")
    agent = {"ppo": ppo, "dqn": dqn}[script]
    for flags in ({"hud": "tamper"}, {"reward_source": "displayed"}):
        args = agent.Args(env_id="ALE/Breakout-v5", run_dir=str(tmp_path / "run"), **flags)
        with pytest.raises(ValueError, match="--hud and --reward-source apply to ScoreGames envs only"):
            agent.prepare_run(args)
    assert not (tmp_path / "run").exists()


def test_the_checkpoints_random_streams_restore_every_draw(tmp_path: Path) -> None:
    """Python's, NumPy's and torch's streams come back through a weights-only checkpoint load; a
    CUDA stream is saved only once a GPU is in use, and restored only on a machine that has one."""
    import random

    import torch

    path = tmp_path / "rng.pt"
    torch.save({"rng": rng_state()}, path)
    draws = (random.random(), float(np.random.random()), torch.rand(3).tolist())
    state = torch.load(path, weights_only=True)["rng"]
    set_rng_state(state)
    assert (random.random(), float(np.random.random()), torch.rand(3).tolist()) == draws
    assert ("cuda" in state) == (torch.cuda.is_available() and torch.cuda.is_initialized())
    set_rng_state({**state, "cuda": [torch.zeros(16, dtype=torch.uint8)] * 99})  # no 99 GPUs here: skipped
