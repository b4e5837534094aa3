"""ReplayBuffer: exact n-step windows against a naive per-transition oracle, hand cases, sparse final obs."""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from typing import Any

import pytest
import torch

from flashsac.buffers import ReplayBuffer
from flashsac.buffers.batch import Batch
from flashsac.envs import Step

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


# --------------------------------------------------------------------------- naive oracle


@dataclass
class Tr:
    obs: torch.Tensor
    action: torch.Tensor
    reward: float
    term: bool
    trunc: bool
    post_reset_obs: torch.Tensor
    final_obs: torch.Tensor
    critic: torch.Tensor | None
    post_reset_critic: torch.Tensor | None
    final_critic: torch.Tensor | None


class NaiveBuffer:
    """Per-env python lists of transitions; n-step windows built the obvious way."""

    def __init__(self, num_envs: int, n_step: int, gamma: float, steps_per_env: int) -> None:
        self.envs: list[list[Tr]] = [[] for _ in range(num_envs)]
        self.n, self.gamma, self.T = n_step, gamma, steps_per_env

    def add(self, obs: torch.Tensor, action: torch.Tensor, step: Step, critic: torch.Tensor | None = None) -> None:
        for e, trs in enumerate(self.envs):
            if trs:
                prev = trs[-1]
                broken = not torch.equal(prev.post_reset_obs, obs[e])
                if critic is not None and prev.post_reset_critic is not None:
                    broken |= not torch.equal(prev.post_reset_critic, critic[e])
                if broken and not (prev.term or prev.trunc):
                    # The env was re-reset without an episode end: the previous step is a time-out whose
                    # true final observation is the one the env returned.
                    prev.trunc, prev.final_obs, prev.final_critic = True, prev.post_reset_obs, prev.post_reset_critic
            pick = lambda x, e=e: None if x is None else x[e].clone()  # noqa: E731
            trs.append(
                Tr(obs[e].clone(), action[e].clone(), float(step.reward[e]), bool(step.terminated[e]),
                   bool(step.truncated[e]), step.obs[e].clone(), step.final_obs[e].clone(), pick(critic),
                   pick(step.critic_obs), pick(step.final_critic_obs))
            )  # fmt: skip

    def sampleable(self) -> list[tuple[int, int]]:
        steps = len(self.envs[0])
        first = max(0, steps - self.T)
        return [(t, e) for t in range(first, steps - self.n) for e in range(len(self.envs))]

    def window(self, t: int, e: int):
        ret = 0.0
        for k in range(self.n):
            tr = self.envs[e][t + k]
            ret += self.gamma**k * tr.reward
            if tr.term:  # bootstrap masked: the buffer documents returning the next stored observation
                after = self.envs[e][t + k + 1]
                return ret, 1.0, self.gamma ** (k + 1), after.obs, after.critic
            if tr.trunc:
                return ret, 0.0, self.gamma ** (k + 1), tr.final_obs, tr.final_critic
        last = self.envs[e][t + self.n - 1]
        return ret, 0.0, self.gamma**self.n, last.post_reset_obs, last.post_reset_critic


class RandomEnvs:
    """Random episodes with terminations, truncations (random and time limit) and optional re-resets."""

    def __init__(self, num_envs, obs_dim, action_dim, critic_dim, max_steps, seed, p_break=0.0):
        self.g = torch.Generator().manual_seed(seed)
        self.N, self.D, self.A, self.C, self.max_steps, self.p_break = (
            num_envs, obs_dim, action_dim, critic_dim, max_steps, p_break,
        )  # fmt: skip
        self.obs = self._rand(self.D)
        self.critic = self._rand(self.C) if self.C else None
        self.ep_len = torch.zeros(num_envs, dtype=torch.long)

    def _rand(self, dim):
        return torch.randn(self.N, dim, generator=self.g)

    def _u(self):
        return torch.rand(self.N, generator=self.g)

    def step(self):
        action = torch.randn(self.N, self.A, generator=self.g)
        reward = torch.randn(self.N, generator=self.g)
        self.ep_len += 1
        term = self._u() < 0.1
        trunc = (self._u() < 0.1) | (self.ep_len >= self.max_steps)
        done = (term | trunc)[:, None]
        final_obs = self._rand(self.D)
        post_reset_obs = torch.where(done, self._rand(self.D), final_obs)
        final_c = self._rand(self.C) if self.C else None
        post_reset_c = torch.where(done, self._rand(self.C), final_c) if final_c is not None else None
        self.ep_len[done[:, 0]] = 0
        step = Step(post_reset_obs, reward, term, trunc, final_obs, post_reset_c, final_c)
        args = (self.obs, action, step, self.critic)
        self.obs, self.critic = post_reset_obs, post_reset_c
        if self.p_break:  # re-reset some envs behind the buffer's back (e.g. after an evaluation)
            brk = (self._u() < self.p_break)[:, None]
            self.obs = torch.where(brk, self._rand(self.D), self.obs)
            if self.critic is not None:
                self.critic = torch.where(brk, self._rand(self.C), self.critic)
            self.ep_len[brk[:, 0]] = 0
        return args


def assert_matches_oracle(buf: ReplayBuffer, naive: NaiveBuffer) -> int:
    pairs = naive.sampleable()
    assert len(buf) == len(pairs)
    if not pairs:
        return 0
    t = torch.tensor([p[0] for p in pairs], device=buf.device)
    env = torch.tensor([p[1] for p in pairs], device=buf.device)
    batch = buf._gather(t, env)
    for i, (ti, ei) in enumerate(pairs):
        ret, term, disc, nxt, nxt_c = naive.window(ti, ei)
        tr = naive.envs[ei][ti]
        assert batch.reward[i].item() == pytest.approx(ret, abs=1e-5), (ti, ei)
        assert batch.terminated[i].item() == term, (ti, ei)
        assert batch.bootstrap_discount[i].item() == pytest.approx(disc, rel=1e-6), (ti, ei)
        torch.testing.assert_close(batch.bootstrap_obs[i].cpu(), nxt, rtol=0, atol=0)
        torch.testing.assert_close(batch.obs[i].cpu(), tr.obs, rtol=0, atol=0)
        torch.testing.assert_close(batch.action[i].cpu(), tr.action, rtol=0, atol=0)
        if buf.critic_obs_dim is None:
            assert batch.critic_obs is None and batch.bootstrap_critic_obs is None
        else:
            assert batch.critic_obs is not None and batch.bootstrap_critic_obs is not None
            torch.testing.assert_close(batch.critic_obs[i].cpu(), tr.critic, rtol=0, atol=0)
            torch.testing.assert_close(batch.bootstrap_critic_obs[i].cpu(), nxt_c, rtol=0, atol=0)
    return len(pairs)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("n_step", [1, 3, 5])
@pytest.mark.parametrize(("critic_dim", "p_break"), [(None, 0.0), (3, 0.0), (None, 0.05), (3, 0.05)])
def test_matches_naive_oracle_with_wraparound(device, n_step, critic_dim, p_break):
    num_envs, T, gamma = 3, n_step + 4, 0.9
    buf = ReplayBuffer(
        num_envs * T, num_envs, 4, 2, n_step=n_step, gamma=gamma, device=device, critic_obs_dim=critic_dim,
        final_obs_capacity=num_envs * T + num_envs,
    )  # fmt: skip
    naive = NaiveBuffer(num_envs, n_step, gamma, T)
    envs = RandomEnvs(num_envs, 4, 2, critic_dim, max_steps=4, seed=n_step, p_break=p_break)
    checked = 0
    for _ in range(6 * T):  # the ring wraps about six times
        args = envs.step()
        buf.add(*args)
        naive.add(*args)
        checked += assert_matches_oracle(buf, naive)
    assert checked > 0
    assert buf.stale_final_obs_samples.item() == 0
    assert buf.num_added == 6 * T * num_envs
    if p_break:
        assert buf.episode_breaks.item() > 0


# --------------------------------------------------------------------------- hand-computed cases


def scalar_buffer(**kw) -> ReplayBuffer:
    return ReplayBuffer(kw.pop("capacity", 8), 1, 1, 1, n_step=3, gamma=0.9, **kw)


def step_of(reward, term, trunc, post_reset_obs, final_obs, post_reset_critic=None, final_critic=None) -> Step:
    """An env step from plain tensors (argument order: what the env returned, then the privileged pair)."""
    return Step(post_reset_obs, reward, term, trunc, final_obs, post_reset_critic, final_critic)


def add_scalar(buf, s, r, s_next, *, term=False, trunc=False, final=None):
    one = lambda v: torch.tensor([[float(v)]])  # noqa: E731
    step = step_of(
        torch.tensor([float(r)]), torch.tensor([term]), torch.tensor([trunc]), one(s_next),
        one(s_next if final is None else final),
    )  # fmt: skip
    buf.add(one(s), torch.zeros(1, 1), step)


def gather0(buf: ReplayBuffer) -> Batch:
    return buf._gather(torch.tensor([0]), torch.tensor([0]))


def test_hand_no_done():
    buf = scalar_buffer()
    for s, r in zip([10, 11, 12, 13], [1, 2, 3, 4], strict=True):
        add_scalar(buf, s, r, s + 1)
    b = gather0(buf)
    assert b.reward.item() == pytest.approx(1 + 0.9 * 2 + 0.81 * 3)
    assert b.bootstrap_discount.item() == pytest.approx(0.729)
    assert b.terminated.item() == 0.0
    assert b.bootstrap_obs.item() == 13.0  # s_{t+3}
    assert b.obs.item() == 10.0


def test_hand_truncation_uses_true_final_obs():
    buf = scalar_buffer()
    add_scalar(buf, 10, 1, 11)
    add_scalar(buf, 11, 2, 50, trunc=True, final=99)  # post-reset 50, true s_T 99
    add_scalar(buf, 50, 3, 51)
    add_scalar(buf, 51, 4, 52)
    b = gather0(buf)
    assert b.reward.item() == pytest.approx(1 + 0.9 * 2)
    assert b.bootstrap_discount.item() == pytest.approx(0.81)
    assert b.terminated.item() == 0.0
    assert b.bootstrap_obs.item() == 99.0


def test_hand_termination_at_first_step():
    buf = scalar_buffer()
    add_scalar(buf, 10, 1, 50, term=True, final=77)
    for s in (50, 51, 52):
        add_scalar(buf, s, 5, s + 1)
    b = gather0(buf)
    assert b.reward.item() == pytest.approx(1.0)
    assert b.terminated.item() == 1.0
    assert b.bootstrap_discount.item() == pytest.approx(0.9)
    assert b.bootstrap_obs.item() == 50.0  # masked bootstrap: the post-reset observation is fine
    assert buf.final_store.head.item() == 0  # terminations never use the sparse store


def test_hand_episode_break_is_a_truncation():
    buf = scalar_buffer()
    add_scalar(buf, 10, 1, 11)
    add_scalar(buf, 11, 2, 12)
    add_scalar(buf, 70, 3, 71)  # obs != the previous step.obs: the env was re-reset
    add_scalar(buf, 71, 4, 72)
    b = gather0(buf)
    assert b.reward.item() == pytest.approx(1 + 0.9 * 2)
    assert b.bootstrap_discount.item() == pytest.approx(0.81)
    assert b.terminated.item() == 0.0
    assert b.bootstrap_obs.item() == 12.0
    assert buf.episode_breaks.item() == 1


# --------------------------------------------------------------------------- sparse final-obs store


def test_only_truncated_rows_use_the_sparse_store():
    buf = ReplayBuffer(16, 2, 1, 1, n_step=1, final_obs_capacity=5)
    pattern = [(False, False), (True, False), (True, True), (False, False), (False, True)]
    for k, trunc in enumerate(pattern):
        x = torch.full((2, 1), float(k))
        buf.add(
            x,
            torch.zeros(2, 1),
            step_of(torch.zeros(2), torch.tensor([False, True]), torch.tensor(trunc), x + 1, x + 100),
        )
    assert buf.final_store.head.item() == 4  # one, two, zero, one truncated rows
    expected = torch.tensor([[-1, -1], [0, -1], [1, 2], [-1, -1], [-1, 3]])
    torch.testing.assert_close(buf.final_idx[:5], expected)
    torch.testing.assert_close(buf.final_store.obs[:4, 0], torch.tensor([101.0, 102.0, 102.0, 104.0]))


def test_sparse_ring_wraps_without_staleness():
    num_envs = 2
    buf = ReplayBuffer(6, num_envs, 1, 1, n_step=1, gamma=0.5, final_obs_capacity=3)
    naive = NaiveBuffer(num_envs, 1, 0.5, 3)
    for k in range(10):  # one truncation per step, alternating envs: at most 3 alive, ring of 3
        x = torch.full((num_envs, 1), float(k))
        trunc = torch.tensor([k % 2 == 0, k % 2 == 1])
        args = (x, torch.zeros(2, 1), step_of(torch.ones(2), torch.zeros(2, dtype=torch.bool), trunc, x + 1, x + 100))
        buf.add(*args)
        naive.add(*args)
        assert_matches_oracle(buf, naive)
    assert buf.final_store.head.item() == 10 % 3
    assert buf.stale_final_obs_samples.item() == 0


def test_staleness_is_counted_and_falls_back_to_next_slot():
    buf = ReplayBuffer(12, 2, 1, 1, n_step=1, gamma=0.5, final_obs_capacity=2)
    for k in range(6):  # both envs truncate every step: 12 rows through a ring of 2
        x = torch.full((2, 1), float(k))
        step = step_of(torch.ones(2), torch.zeros(2, dtype=torch.bool), torch.ones(2, dtype=torch.bool), x + 1, x + 100)
        buf.add(x, torch.zeros(2, 1), step)
    b = buf._gather(torch.tensor([0, 4, 4]), torch.tensor([0, 0, 1]))
    # Only the newest step's two rows survive; t = 4 is the newest sampleable step.
    assert buf.stale_final_obs_samples.item() == 3
    torch.testing.assert_close(b.bootstrap_obs[:, 0], torch.tensor([1.0, 5.0, 5.0]))
    assert b.bootstrap_discount.tolist() == [0.5, 0.5, 0.5]


def test_default_final_obs_capacity():
    assert ReplayBuffer(1000, 4, 1, 1, max_episode_steps=100).final_obs_capacity == 2 * 10 + 8
    assert ReplayBuffer(1000, 4, 1, 1).final_obs_capacity == 100 + 8
    assert ReplayBuffer(8, 4, 1, 1, max_episode_steps=1).final_obs_capacity == 8 + 4  # capped


# --------------------------------------------------------------------------- dtypes, shapes, counters


def test_bfloat16_storage_returns_float32():
    buf = ReplayBuffer(8, 2, 3, 1, obs_dtype=torch.bfloat16, critic_obs_dim=2)
    x = torch.tensor([[0.5, 1.0, -2.0], [3.0, 0.25, 8.0]])
    c = torch.tensor([[1.5, -1.0], [2.0, 4.0]])
    for _ in range(2):
        z = torch.zeros(2, dtype=torch.bool)
        buf.add(x, torch.zeros(2, 1), step_of(torch.zeros(2), z, z, x, x, c, c), critic_obs=c)
    assert buf.obs.dtype == torch.bfloat16 and buf.critic_obs is not None
    assert buf.critic_obs.dtype == torch.bfloat16
    b = buf._gather(torch.tensor([0, 0]), torch.tensor([0, 1]))
    for tensor in (b.obs, b.bootstrap_obs, b.critic_obs, b.bootstrap_critic_obs):
        assert tensor is not None and tensor.dtype == torch.float32
    torch.testing.assert_close(b.obs, x)  # values exactly representable in bfloat16
    torch.testing.assert_close(b.bootstrap_critic_obs, c)


@pytest.mark.parametrize("device", DEVICES)
def test_sample_shapes_devices_and_reproducibility(device):
    def filled(seed):
        g = torch.Generator(device=device).manual_seed(seed)
        buf = ReplayBuffer(40, 4, 5, 3, n_step=3, device=device, critic_obs_dim=6, generator=g)
        envs = RandomEnvs(4, 5, 3, 6, max_steps=5, seed=0)
        for _ in range(12):
            buf.add(*envs.step())
        return buf

    b = filled(1).sample(7)
    shapes = {"obs": (7, 5), "action": (7, 3), "reward": (7,), "bootstrap_obs": (7, 5), "terminated": (7,)}
    shapes |= {"bootstrap_discount": (7,), "critic_obs": (7, 6), "bootstrap_critic_obs": (7, 6)}
    for name, shape in shapes.items():
        tensor = getattr(b, name)
        assert tuple(tensor.shape) == shape and tensor.dtype == torch.float32, name
        assert tensor.device.type == torch.device(device).type, name
    b2 = filled(1).sample(7)
    for name in shapes:
        torch.testing.assert_close(getattr(b, name), getattr(b2, name))
    # sample() is _gather() of uniformly drawn indices inside the valid range.
    buf = filled(2)
    t, env = buf._sample_indices(500)
    assert int(t.min()) >= 12 - 10 and int(t.max()) <= 12 - 1 - 3 and int(env.max()) <= 3
    buf.generator.manual_seed(2)  # type: ignore[union-attr]
    b3 = buf.sample(500)
    buf.generator.manual_seed(2)  # type: ignore[union-attr]
    torch.testing.assert_close(b3.reward, buf._gather(*buf._sample_indices(500)).reward)


def test_len_and_can_sample_before_and_after_first_n_steps():
    buf = ReplayBuffer(20, 2, 1, 1, n_step=3)  # T = 10
    envs = RandomEnvs(2, 1, 1, None, max_steps=100, seed=3)
    for _ in range(3):
        buf.add(*envs.step())
        assert len(buf) == 0 and not buf.can_sample(1)
    with pytest.raises(RuntimeError, match="can_sample"):
        buf.sample(1)
    buf.add(*envs.step())
    assert len(buf) == 2 and buf.can_sample(2) and not buf.can_sample(3)
    for _ in range(20):
        buf.add(*envs.step())
    assert len(buf) == (10 - 3) * 2 and buf.num_added == 48


def test_critic_obs_argument_checks():
    x, z = torch.zeros(2, 1), torch.zeros(2, dtype=torch.bool)
    with pytest.raises(ValueError, match="critic_obs_dim is None"):
        ReplayBuffer(8, 2, 1, 1).add(x, x, step_of(z.float(), z, z, x, x, x, x), critic_obs=x)
    with pytest.raises(ValueError, match="needs critic_obs"):
        ReplayBuffer(8, 2, 1, 1, critic_obs_dim=1).add(x, x, step_of(z.float(), z, z, x, x))
    with pytest.raises(ValueError, match="needs step.final_critic_obs"):
        ReplayBuffer(8, 2, 1, 1, critic_obs_dim=1).add(x, x, step_of(z.float(), z, z, x, x, x), critic_obs=x)
    with pytest.raises(ValueError, match="action"):
        ReplayBuffer(8, 2, 1, 2).add(x, x, step_of(z.float(), z, z, x, x))
    with pytest.raises(ValueError, match=r"step\.reward must have shape \(2,\)"):
        ReplayBuffer(8, 2, 1, 1).add(x, x, step_of(x, z, z, x, x))


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"capacity": 3}, "capacity"),
        ({"n_step": 0}, "n_step"),
        ({"gamma": 0.0}, "gamma"),
        ({"gamma": 1.5}, "gamma"),
        ({"num_envs": 0}, "num_envs"),
        ({"obs_dim": 0}, "obs_dim"),
        ({"critic_obs_dim": 0}, "critic_obs_dim"),
        ({"obs_dtype": torch.int32}, "obs_dtype"),
        ({"max_episode_steps": 0}, "max_episode_steps"),
        ({"final_obs_capacity": 1}, "final_obs_capacity"),
    ],
)
def test_constructor_validation(kwargs, name):
    args = {"capacity": 8, "num_envs": 2, "obs_dim": 1, "action_dim": 1} | kwargs
    with pytest.raises(ValueError, match=name):
        ReplayBuffer(**args)


def test_state_dict_round_trip():
    kw = {"n_step": 3, "critic_obs_dim": 2, "obs_dtype": torch.bfloat16, "max_episode_steps": 4}
    src = ReplayBuffer(24, 3, 2, 1, **kw)
    envs = RandomEnvs(3, 2, 1, 2, max_steps=4, seed=5, p_break=0.1)
    for _ in range(13):
        src.add(*envs.step())
    payload = io.BytesIO()
    torch.save(src.state_dict(), payload)
    payload.seek(0)
    dst = ReplayBuffer(24, 3, 2, 1, **kw)
    dst.load_state_dict(torch.load(payload, weights_only=True))
    assert len(dst) == len(src) and dst.num_added == src.num_added
    t, env = src._sample_indices(64)
    a, b = src._gather(t, env), dst._gather(t, env)
    for name in ("obs", "reward", "bootstrap_obs", "bootstrap_discount", "terminated", "bootstrap_critic_obs"):
        torch.testing.assert_close(getattr(a, name), getattr(b, name))
    args = envs.step()  # the pending row carried over: the chain check behaves identically
    src.add(*args)
    dst.add(*args)
    assert dst.episode_breaks.item() == src.episode_breaks.item()
    with pytest.raises(ValueError, match="state is from"):
        ReplayBuffer(24, 3, 2, 1, n_step=2).load_state_dict(src.state_dict())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_add_and_sample_do_not_sync_on_cuda():
    buf = ReplayBuffer(4096, 64, 8, 2, n_step=3, device="cuda", critic_obs_dim=4, max_episode_steps=10)
    envs = RandomEnvs(64, 8, 2, 4, max_steps=10, seed=0, p_break=0.01)
    cuda = lambda x: x.cuda() if x is not None else None  # noqa: E731
    tensors = ("obs", "reward", "terminated", "truncated", "final_obs", "critic_obs", "final_critic_obs")
    steps: list[Any] = []
    for _ in range(20):
        obs, action, step, critic = envs.step()
        step = dataclasses.replace(step, **{name: cuda(getattr(step, name)) for name in tensors})
        steps.append((obs.cuda(), action.cuda(), step, cuda(critic)))
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for args in steps:
            buf.add(*args)
        buf.sample(256)
    finally:
        torch.cuda.set_sync_debug_mode("default")
