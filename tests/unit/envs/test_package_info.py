"""Version reading shared by the adapters' install checks."""

from __future__ import annotations

import pytest

from flashsac.envs.adapters.package_info import import_simulator, installed_version, release_parts
from flashsac.envs.registry import MissingSimulatorError


def test_release_parts_reads_the_leading_release_numbers() -> None:
    assert release_parts("3.17.0") == (3, 17, 0)
    assert release_parts("4.0.0rc1") == (4, 0, 0)
    assert release_parts("3.0.0.dev2+g1234") == (3, 0, 0)
    assert release_parts("1.4.5.post1") == (1, 4, 5)
    assert release_parts("none") == ()


def test_installed_version_is_none_for_an_absent_distribution() -> None:
    assert installed_version("flashsac-no-such-distribution") is None
    assert release_parts(installed_version("torch") or "") >= (2,)


def test_a_failing_simulator_import_is_one_line_naming_family_version_and_fix() -> None:
    with pytest.raises(MissingSimulatorError) as info:
        import_simulator("mysim", "flashsac_no_such_module", "pip install 'flashsac[mysim]'", "1.2.3")
    message = str(info.value)
    assert message.startswith("env=mysim: flashsac_no_such_module 1.2.3 fails to import (ModuleNotFoundError: ")
    assert message.endswith("; fix: pip install 'flashsac[mysim]'") and "\n" not in message
    assert import_simulator("torch", "torch", "pip install torch").__name__ == "torch"
