"""Videos of a policy: record env 0 of a render-capable env, write mp4 files, log clips to TensorBoard.

Frames come from the env contract's optional ``render(env_index)`` (``spec.can_render``); mp4 files are encoded
by imageio's ffmpeg backend (``imageio-ffmpeg`` ships its own ffmpeg binary), and TensorBoard clips are
animated GIFs in an image summary, which TensorBoard's image dashboard plays, so neither needs moviepy.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from flashsac.config.schema import EnvConfig
from flashsac.envs.protocol import EnvSpec, VecEnv
from flashsac.envs.registry import RenderError, make_env_from_config

if TYPE_CHECKING:  # only for annotations: importing it pulls in tensorboard
    from torch.utils.tensorboard import SummaryWriter

__all__ = [
    "Recording",
    "default_fps",
    "encode_gif",
    "record_episode",
    "record_rollout",
    "record_training_video",
    "tensorboard_video",
    "write_mp4",
]

_FALLBACK_FPS = 30.0
# Browsers and TensorBoard play GIF frames shorter than 20 ms at 100 ms, so faster clips are subsampled.
_MAX_GIF_FPS = 50.0
_MAX_GIF_FRAMES = 500  # keeps one clip in the event file to a few MB


@dataclass
class Recording:
    """One recorded episode of env 0.

    Attributes:
        frames: ``(T, H, W, 3)`` uint8, one frame per step: the state the policy acted in.
        episode_return: Undiscounted return of the recorded steps.
        length: Steps taken (``T``).
        ended: ``True`` when the episode ended (terminated or truncated), ``False`` when cut at ``max_steps``.
    """

    frames: np.ndarray
    episode_return: float
    length: int
    ended: bool


def default_fps(spec: EnvSpec) -> float:
    """Real-time frame rate of ``spec``'s env (``1 / control_dt``), or 30 where the step length is unknown."""
    return 1.0 / spec.control_dt if spec.control_dt > 0 else _FALLBACK_FPS


@torch.no_grad()
def record_rollout(
    policy: Callable[[torch.Tensor], torch.Tensor],
    env: VecEnv,
    max_steps: int,
    seed: int | None = None,
    on_step: Callable[[int], None] | None = None,
) -> Recording:
    """Reset ``env`` and run ``policy`` until env 0's first episode ends or ``max_steps`` steps, recording env 0.

    Every env of the batch is stepped (the policy acts on the whole batch), but only env 0 is rendered.

    Args:
        policy: Maps ``(N, obs_dim)`` observations to actions in environment units.
        env: A render-capable env (``env.spec.can_render``); ``N`` may be 1.
        max_steps: Upper bound on the steps recorded.
        seed: Seed of the reset (``None`` continues the env's random stream).
        on_step: Called with the number of steps taken so far after every step (for progress displays).

    Raises:
        RenderError: if the env cannot render.
    """
    spec = env.spec
    render = getattr(env, "render", None)
    if not spec.can_render or render is None:
        raise RenderError(f"{spec.task!r} cannot render frames (spec.can_render is False).")
    obs, _ = env.reset(seed)
    frames: list[np.ndarray] = []
    episode_return, length, ended = 0.0, 0, False
    while length < max_steps:
        frames.append(np.asarray(render(0), dtype=np.uint8))
        step = env.step(policy(obs).to(spec.device))
        length += 1
        # One device sync per step is fine here: rendering already costs far more than a step.
        episode_return += float(step.reward[0])
        obs = step.obs
        if on_step is not None:
            on_step(length)
        if bool(step.done[0]):
            ended = True
            break
    return Recording(np.stack(frames), episode_return, length, ended)


def record_episode(
    policy: Callable[[torch.Tensor], torch.Tensor], env: VecEnv, max_steps: int, seed: int | None = None
) -> np.ndarray:
    """Frames of env 0 until its first episode end or ``max_steps`` steps (see :func:`record_rollout`).

    Returns:
        ``(T, H, W, 3)`` uint8 frames, one per step (the state the policy acted in).
    """
    return record_rollout(policy, env, max_steps, seed=seed).frames


def _check_frames(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.shape[0] < 1:
        raise ValueError(f"frames must be (T >= 1, H, W, 3), got shape {frames.shape}.")
    if frames.dtype != np.uint8:
        raise ValueError(f"frames must be uint8, got {frames.dtype}.")
    return frames


def write_mp4(frames: np.ndarray, path: Path | str, fps: float) -> Path:
    """Encode ``(T, H, W, 3)`` uint8 frames as an H.264 mp4 at ``path`` (parent folders are created).

    Odd widths/heights are padded by one black pixel row/column (yuv420p needs even sizes) instead of letting
    the encoder rescale every frame.

    Returns:
        The path written.
    """
    import imageio.v2 as imageio  # imported lazily: only videos need it

    frames = _check_frames(frames)
    _, height, width, _ = frames.shape
    if height % 2 or width % 2:
        frames = np.pad(frames, ((0, 0), (0, height % 2), (0, width % 2), (0, 0)))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = imageio.get_writer(
        str(path),
        format="FFMPEG",  # pyright: ignore[reportArgumentType]
        mode="I",
        fps=fps,
        codec="libx264",
        pixelformat="yuv420p",  # the format every player decodes
        macro_block_size=2,
        ffmpeg_log_level="error",
    )
    try:
        for frame in frames:
            writer.append_data(frame)  # pyright: ignore[reportAttributeAccessIssue]
    finally:
        writer.close()
    return path


def encode_gif(frames: np.ndarray, fps: float) -> tuple[bytes, int]:
    """Encode frames as a looping animated GIF; return its bytes and the number of frames kept.

    Clips faster than 50 fps or longer than 500 frames keep every k-th frame (played k times slower per
    frame), so the clip still plays in real time and stays a few MB.
    """
    import imageio.v3 as iio  # imported lazily: only videos need it

    frames = _check_frames(frames)
    stride = max(1, math.ceil(frames.shape[0] / _MAX_GIF_FRAMES), math.ceil(fps / _MAX_GIF_FPS))
    kept = frames[::stride]
    duration_ms = 1000.0 * stride / fps
    data = iio.imwrite("<bytes>", kept, extension=".gif", duration=duration_ms, loop=0)
    return bytes(data), int(kept.shape[0])


def tensorboard_video(writer: SummaryWriter, tag: str, frames: np.ndarray, step: int, fps: float) -> None:
    """Log ``(T, H, W, 3)`` uint8 frames to TensorBoard as an animated GIF image summary under ``tag``.

    ``SummaryWriter.add_video`` needs moviepy; an image summary whose encoded bytes are a GIF is what it
    writes too, so TensorBoard's image dashboard plays the clip.
    """
    # Imported lazily: it pulls in tensorboard. The protobuf module is generated, hence no stubs for pyright.
    from tensorboard.compat.proto.summary_pb2 import Summary  # pyright: ignore[reportAttributeAccessIssue]

    frames = _check_frames(frames)
    gif, _ = encode_gif(frames, fps)
    _, height, width, _ = frames.shape
    image = Summary.Image(height=height, width=width, colorspace=3, encoded_image_string=gif)
    writer._get_file_writer().add_summary(Summary(value=[Summary.Value(tag=tag, image=image)]), step)


def record_training_video(
    policy: Callable[[torch.Tensor], torch.Tensor],
    env_cfg: EnvConfig,
    seed: int,
    device: torch.device,
    path: Path,
    writer: SummaryWriter | None,
    step: int,
    fps: float | None = None,
    tag: str = "eval/video",
) -> Path | None:
    """Record one deterministic episode into ``path`` (mp4) and, with a writer, into TensorBoard.

    Builds its own one-env render-capable env (``make_env_from_config(..., num_envs=1, render=True)``) so the
    training and evaluation envs are never disturbed, and closes it afterwards.

    Args:
        policy: Maps ``(1, obs_dim)`` observations on ``device`` to actions in environment units.
        env_cfg: The run's ``env`` section (task, time limit, options and action box, as in training).
        seed: Seed of the recorded episode's reset.
        device: Device of the env's tensors (``cfg.env.device`` resolved).
        path: Where the mp4 goes (e.g. ``run_dir / "videos" / f"step_{env_steps}.mp4"``).
        writer: A TensorBoard ``SummaryWriter``, or ``None`` to write only the mp4.
        step: Global step of the TensorBoard clip (env steps).
        fps: Frames per second; ``None`` plays in real time (``1 / control_dt``).
        tag: TensorBoard tag of the clip.

    Returns:
        ``path``, or ``None`` (after a warning) when this env cannot render here.
    """
    env = make_env_from_config(env_cfg, seed, device, num_envs=1, render=True)
    try:
        spec = env.spec
        if not spec.can_render:
            warnings.warn(
                f"{env_cfg.name}/{env_cfg.task} cannot render frames; no training video is recorded.", stacklevel=2
            )
            return None
        recording = record_rollout(policy, env, spec.max_episode_steps or 1000, seed=seed)
    except RenderError as err:
        warnings.warn(f"no training video is recorded: {err}", stacklevel=2)
        return None
    finally:
        env.close()
    rate = fps if fps is not None else default_fps(spec)
    write_mp4(recording.frames, path, rate)
    if writer is not None:
        tensorboard_video(writer, tag, recording.frames, step, rate)
    return path
