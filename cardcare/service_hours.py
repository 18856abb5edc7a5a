"""When people are at the desk, per language: outside those hours a customer leaves a message.

Configured as ``HANDOFF_HOURS``, e.g. ``vi=08:00-22:00@Asia/Ho_Chi_Minh;zh-Hant=09:00-18:00@
Asia/Hong_Kong``.  A language not named is served around the clock (the bank's 24-hour
service); ``00:00-24:00`` says so explicitly.  A window may cross midnight (``22:00-06:00``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cardcare.conversation import LANGUAGES


class HoursError(ValueError):
    """A service-hours setting that cannot be read."""


@dataclass(frozen=True)
class Window:
    """Daily opening hours in one time zone."""

    start: time
    end: time | None  # None: until midnight (24:00)
    zone: str

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.zone)).time()
        if self.end is None:
            return local >= self.start
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def describe(self) -> str:
        end = "24:00" if self.end is None else self.end.strftime("%H:%M")
        return f"{self.start.strftime('%H:%M')}–{end} ({self.zone})"


@dataclass(frozen=True)
class ServiceHours:
    """Each language's window; languages without one are always open."""

    windows: dict[str, Window]

    @classmethod
    def parse(cls, spec: str | None) -> ServiceHours:
        """Reads ``HANDOFF_HOURS``.

        Raises:
            HoursError: an unknown language, time or zone.
        """
        windows: dict[str, Window] = {}
        for part in filter(None, (p.strip() for p in (spec or "").split(";"))):
            language, _, rest = part.partition("=")
            hours, _, zone = rest.partition("@")
            start, _, end = hours.partition("-")
            if language.strip() not in LANGUAGES:
                raise HoursError(f"HANDOFF_HOURS: unknown language {language!r}")
            try:
                ZoneInfo(zone.strip() or "UTC")
                windows[language.strip()] = Window(
                    time.fromisoformat(start.strip()),
                    None if end.strip() == "24:00" else time.fromisoformat(end.strip()),
                    zone.strip() or "UTC")
            except (ValueError, ZoneInfoNotFoundError) as error:
                raise HoursError(f"HANDOFF_HOURS: cannot read {part!r} ({error})") from None
        return cls(windows)

    def is_open(self, language: str, moment: datetime | None = None) -> bool:
        window = self.windows.get(language)
        return window is None or window.contains(moment or datetime.now(timezone.utc))

    def describe(self, language: str) -> str:
        window = self.windows.get(language)
        return window.describe() if window else "24/7"
