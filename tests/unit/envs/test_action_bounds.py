"""Per-joint asymmetric bounds from soft joint limits, checked against hand-computed values."""

import pytest
import torch

from flashsac.agents.flashsac.networks import ActionScaler
from flashsac.config.schema import EnvConfig, RunConfig
from flashsac.config.validate import ConfigError, validate
from flashsac.envs.action_bounds import JointLimits, joint_limit_bounds, select_bounds

# Three joints: centred, asymmetric (q0 near the upper limit), and a prismatic joint with scale 0.5.
LIMITS = JointLimits(
    q_min=torch.tensor([-1.0, -2.5, 0.0]),
    q_max=torch.tensor([1.0, 0.5, 0.2]),
    q0=torch.tensor([0.0, 0.25, 0.05]),
    scale=torch.tensor([0.25, 0.5, 0.5]),
)


def test_hand_computed_bounds() -> None:
    low, high = joint_limit_bounds(LIMITS)
    # a_min = -|q_min - q0| / s, a_max = |q_max - q0| / s
    assert torch.allclose(low, torch.tensor([-4.0, -5.5, -0.1]))
    assert torch.allclose(high, torch.tensor([4.0, 0.5, 0.3]))
    assert low.dtype == torch.float32


def test_endpoints_reproduce_the_soft_limits_through_the_actor_mapping() -> None:
    low, high = joint_limit_bounds(LIMITS)
    scaler = ActionScaler(low, high)
    saturated = scaler.to_env(torch.tensor([[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]]))
    q_target = LIMITS.q0 + LIMITS.scale * saturated
    assert torch.allclose(q_target[0], LIMITS.q_min, atol=1e-6)
    assert torch.allclose(q_target[1], LIMITS.q_max, atol=1e-6)
    # tanh = 0 is the midpoint of the box, not q0, for an asymmetric joint.
    mid = scaler.to_env(torch.zeros(1, 3))[0]
    assert torch.allclose(mid, (low + high) / 2)


def test_fraction_shrinks_towards_the_default_pose() -> None:
    low, high = joint_limit_bounds(LIMITS, fraction=0.5)
    assert torch.allclose(LIMITS.q0 + LIMITS.scale * low, LIMITS.q0 - 0.5 * (LIMITS.q0 - LIMITS.q_min))
    assert torch.allclose(LIMITS.q0 + LIMITS.scale * high, LIMITS.q0 + 0.5 * (LIMITS.q_max - LIMITS.q0))


@pytest.mark.parametrize(
    ("field", "value", "complaint"),
    [
        ("q_max", torch.tensor([1.0, -3.0, 0.2]), "joint 1: q_max must exceed q_min"),
        ("q0", torch.tensor([0.0, 0.25, 0.3]), "joint 2: the default pose"),
        ("scale", torch.tensor([0.0, 0.5, 0.5]), "joint 0: the action scale must be positive"),
    ],
)
def test_bad_limits_name_the_joint(field: str, value: torch.Tensor, complaint: str) -> None:
    bad = JointLimits(**{**LIMITS.__dict__, field: value})
    with pytest.raises(ValueError, match=complaint):
        joint_limit_bounds(bad)


def test_fraction_out_of_range_is_refused_by_the_config() -> None:
    # One home for the rule: the field's own rule in the schema, applied when the config is validated.
    with pytest.raises(ConfigError, match=r"env.joint_limit_fraction=1.5 is invalid: expected a number in \(0, 1\]"):
        validate(RunConfig(env=EnvConfig(joint_limit_fraction=1.5)))


def test_modes() -> None:
    env_low, env_high = torch.tensor([-100.0, -2.0]), torch.tensor([100.0, 1.0])
    low, high = select_bounds("env", env_low, env_high)
    assert torch.equal(low, env_low) and torch.equal(high, env_high)
    low, high = select_bounds("symmetric", env_low, env_high)
    assert torch.equal(low, torch.tensor([-100.0, -2.0])) and torch.equal(high, torch.tensor([100.0, 2.0]))
    low, high = select_bounds("scalar", env_low, env_high, scalar=3.0)
    assert torch.equal(low, torch.full((2,), -3.0)) and torch.equal(high, torch.full((2,), 3.0))
    two = JointLimits(*(t[:2] for t in (LIMITS.q_min, LIMITS.q_max, LIMITS.q0, LIMITS.scale)))
    low, high = select_bounds("joint_limits", env_low, env_high, limits=two)
    assert torch.allclose(low, torch.tensor([-4.0, -5.5])) and torch.allclose(high, torch.tensor([4.0, 0.5]))


def test_mode_errors_name_the_key() -> None:
    env_low, env_high = -torch.ones(2), torch.ones(2)
    with pytest.raises(ConfigError, match="env.action_bounds='box' is invalid: expected one of env, joint_limits"):
        validate(RunConfig(env=EnvConfig(action_bounds="box")))
    with pytest.raises(ValueError, match="needs an env that exposes its soft joint limits"):
        select_bounds("joint_limits", env_low, env_high)
    with pytest.raises(ConfigError, match="env.action_bound=0"):
        validate(RunConfig(env=EnvConfig(action_bounds="scalar", action_bound=0)))
