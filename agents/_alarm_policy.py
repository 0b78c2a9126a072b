"""The thresholds of alarm triage, with their sources (ISA-18.2 / EEMUA 191 where they exist)."""

from __future__ import annotations

from dataclasses import dataclass

from ._alarm_records import AlarmPriority


@dataclass(frozen=True, kw_only=True, slots=True)
class AlarmPolicy:
    """Every number the alarm analytics decide by. Defaults follow ISA-18.2 / EEMUA 191."""

    dedupe_gap_s: float = 600.0
    """A raise of the same alarm within this long of its previous occurrence ending (clearing,
    or still active) is the same occurrence, not a new one."""

    chatter_count: int = 3
    """Chattering (ISA-18.2 burst rule): this many raises of one alarm ..."""
    chatter_window_s: float = 60.0
    """... within this many seconds."""
    repeat_count: int = 10
    """Chattering (fleeting-repeat rule, EEMUA 'repeating alarm'): this many raises of one alarm
    within `repeat_window_s`, whose activations are fleeting (median on-time at most
    `fleeting_s`): a limit inside the noise band that the burst rule can miss."""
    repeat_window_s: float = 3600.0
    """Window of the fleeting-repeat rule, seconds."""
    fleeting_s: float = 60.0
    """An activation that clears within this many seconds is fleeting."""

    flood_start_above: int = 10
    """A flood starts when an area's annunciations in the trailing window exceed this (EEMUA: above
    10 per operator in 10 minutes)."""
    flood_end_below: int = 5
    """... and ends when they fall below this."""
    flood_window_s: float = 600.0
    """Trailing window of the flood rate, seconds."""

    stale_after_s: float = 86400.0
    """An alarm standing (active, not shelved or suppressed) longer than this is stale."""

    group_window_s: float = 900.0
    """Two occurrences co-occur when one is raised while the other is active, or within this many
    seconds of its raise or clearing."""
    max_propagation_s: float = 3 * 3600.0
    """Occurrences on different assets are grouped only when raised at most this far apart: a
    symptom later than this is not attributed to the upstream cause."""

    escalate_spread_assets: int = 3
    """An incident spanning at least this many assets is raised one priority level."""

    shelve_duration_s: float = 4 * 3600.0
    """Proposed shelving time for a chattering alarm (the plant allows at most 8 h)."""
    never_shelve: tuple[AlarmPriority, ...] = ("high",)
    """Alarm priorities that are never proposed for shelving: they need an engineering review."""

    def __post_init__(self) -> None:
        if self.flood_end_below > self.flood_start_above:
            raise ValueError("flood_end_below must not exceed flood_start_above")
        if self.chatter_count < 2 or self.repeat_count < 2:
            raise ValueError("chatter_count and repeat_count must be at least 2")
        if not 0 < self.shelve_duration_s <= 8 * 3600:
            raise ValueError("shelve_duration_s must be in (0, 8 h]")


DEFAULT_ALARM_POLICY = AlarmPolicy()
"""The ISA-18.2 / EEMUA 191 defaults."""
