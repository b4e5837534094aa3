"""``flashsac doctor``: what an env's action space, observations, rewards and episode ends look like to FlashSAC."""

from flashsac.tools.doctor.checks import ActionStats, Finding
from flashsac.tools.doctor.run import DoctorReport, diagnose

__all__ = ["ActionStats", "DoctorReport", "Finding", "diagnose"]
