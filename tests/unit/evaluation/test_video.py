"""Videos: mp4 files readable back with the right frame count, TensorBoard clips readable from the event file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import imageio.v2 as imageio
import imageio.v3 as iio
import numpy as np
import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch.utils.tensorboard import SummaryWriter

from flashsac.config.schema import EnvConfig
from flashsac.envs.protocol import EnvSpec, Step
from flashsac.envs.registry import make_env
from flashsac.evaluation import video

CPU = torch.device("cpu")


def _frames(count: int, height: int, width: int) -> np.ndarray:
    """A bright square moving across a dark background."""
    frames = np.full((count, height, width, 3), 20, dtype=np.uint8)
    for t in range(count):
        x = t * (width - 8) // max(count - 1, 1)
        frames[t, height // 4 : height // 4 + 8, x : x + 8] = (250, 200, 50)
    return frames


def _zero_policy(obs: torch.Tensor) -> torch.Tensor:
    return torch.zeros(obs.shape[0], 1)


@pytest.mark.parametrize(("height", "width"), [(48, 64), (33, 47)])
def test_write_mp4_is_readable_with_every_frame(tmp_path: Path, height: int, width: int) -> None:
    path = video.write_mp4(_frames(12, height, width), tmp_path / "sub" / "clip.mp4", fps=20)
    assert path.is_file()
    reader = imageio.get_reader(str(path), format="FFMPEG")  # pyright: ignore[reportArgumentType]
    try:
        assert reader.count_frames() == 12  # pyright: ignore[reportAttributeAccessIssue]
        first = reader.get_data(0)
    finally:
        reader.close()
    # Odd sizes are padded to even ones (yuv420p), never rescaled.
    assert first.shape == (height + height % 2, width + width % 2, 3)


def test_write_mp4_refuses_what_is_not_a_uint8_clip(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="uint8"):
        video.write_mp4(np.zeros((3, 16, 16, 3), dtype=np.float32), tmp_path / "a.mp4", fps=10)
    with pytest.raises(ValueError, match=r"\(T >= 1, H, W, 3\)"):
        video.write_mp4(np.zeros((16, 16, 3), dtype=np.uint8), tmp_path / "a.mp4", fps=10)


def test_tensorboard_clip_is_an_animated_image_in_the_event_file(tmp_path: Path) -> None:
    frames = _frames(15, 40, 56)
    writer = SummaryWriter(log_dir=str(tmp_path))
    video.tensorboard_video(writer, "eval/video", frames, step=300, fps=25)
    writer.close()
    events = EventAccumulator(str(tmp_path), size_guidance={"images": 0})
    events.Reload()
    assert events.Tags()["images"] == ["eval/video"]
    (image,) = events.Images("eval/video")
    assert (image.step, image.width, image.height) == (300, 56, 40)
    decoded = iio.imread(image.encoded_image_string, extension=".gif", index=None)
    assert decoded.shape[:3] == (15, 40, 56)


def test_fast_or_long_clips_are_subsampled_for_tensorboard() -> None:
    _, kept = video.encode_gif(_frames(10, 16, 16), fps=100)
    assert kept == 5  # 100 fps would play at 10 fps in a browser: every 2nd frame, each shown twice as long


def test_record_episode_stops_at_the_first_episode_end() -> None:
    env = make_env("torch", "pendulum-swingup", 3, seed=0, device=CPU, max_episode_steps=30)
    frames = video.record_episode(_zero_policy, env, max_steps=1000, seed=4)
    assert frames.shape == (30, 240, 240, 3) and frames.dtype == np.uint8
    assert not np.array_equal(frames[0], frames[-1])
    recording = video.record_rollout(_zero_policy, env, max_steps=10, seed=4)
    assert recording.length == 10 and not recording.ended and recording.frames.shape[0] == 10
    np.testing.assert_array_equal(recording.frames, frames[:10])  # same seed, same episode
    assert recording.episode_return < 0


def test_record_training_video_writes_mp4_and_tensorboard_clip(tmp_path: Path) -> None:
    writer = SummaryWriter(log_dir=str(tmp_path / "tb"))
    env_cfg = EnvConfig(name="torch", task="pendulum-swingup", max_episode_steps=20)
    path = video.record_training_video(_zero_policy, env_cfg, 0, CPU, tmp_path / "videos" / "step_100.mp4", writer, 100)
    writer.close()
    assert path is not None and path == tmp_path / "videos" / "step_100.mp4" and path.stat().st_size > 0
    events = EventAccumulator(str(tmp_path / "tb"), size_guidance={"images": 0})
    events.Reload()
    assert [i.step for i in events.Images("eval/video")] == [100]


class _NoRender:
    """A torch task that claims it cannot render."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self._env = make_env("torch", "pendulum-swingup", 1, seed=0, device=CPU)
        self.closed = False

    @property
    def spec(self) -> EnvSpec:
        return dataclasses.replace(self._env.spec, can_render=False)

    def reset(self, seed: int | None = None) -> tuple[torch.Tensor, None]:
        return self._env.reset(seed)  # type: ignore[return-value]

    def step(self, action: torch.Tensor) -> Step:
        return self._env.step(action)

    def close(self) -> None:
        self.closed = True


def test_record_training_video_warns_and_returns_none_without_rendering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[_NoRender] = []
    monkeypatch.setattr(video, "make_env_from_config", lambda *a, **k: made.append(_NoRender()) or made[-1])
    env_cfg = EnvConfig(name="torch", task="x", max_episode_steps=20)
    with pytest.warns(UserWarning, match="cannot render"):
        path = video.record_training_video(_zero_policy, env_cfg, 0, CPU, tmp_path / "v.mp4", None, 0, 30)
    assert path is None and not (tmp_path / "v.mp4").exists()
    assert made[0].closed
