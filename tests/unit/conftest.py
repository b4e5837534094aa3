"""Fixtures shared by the unit tests of several packages."""

import dataclasses

import pytest

from flashsac.envs.bounded import BoundedEnv
from flashsac.trainer import parts as run_parts


@pytest.fixture
def shared_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs built by ``build_run`` get envs that declare ``shares_instance`` (evaluation on the training envs)."""
    real = run_parts.make_env_from_config

    def make_shared(*args, **kwargs):
        env = real(*args, **kwargs)
        wrapped = BoundedEnv(env, env.spec.action_low, env.spec.action_high)
        wrapped._spec = dataclasses.replace(wrapped.spec, shares_instance=True)
        return wrapped

    monkeypatch.setattr(run_parts, "make_env_from_config", make_shared)
