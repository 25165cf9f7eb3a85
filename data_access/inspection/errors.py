"""Why a draw, a verification or a finding is refused (messages in Chinese)."""

from __future__ import annotations


class InspectionError(Exception):
    """A 暗访 action cannot be carried out as asked."""


class DrawNotFoundError(InspectionError):
    """No draw with that id in the log."""


class UnverifiableDrawError(InspectionError):
    """The logged draw lacks what re-running it needs (e.g. made by another procedure)."""


class NoEligibleVillageError(InspectionError):
    """Every village in the chosen townships is excluded or there are none."""


class NotInDrawError(InspectionError):
    """The village or household was not drawn in that draw."""


class InvalidFindingError(InspectionError):
    """A finding lacks its description or has an impossible date."""


class FindingNotFoundError(InspectionError):
    """No finding with that id."""


class AlreadyConvertedError(InspectionError):
    """The finding has already become a rectification item."""
