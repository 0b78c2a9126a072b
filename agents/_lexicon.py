"""What the plant calls its things, read from the plant itself: assets, types, lines, tags, people.

The rules brain resolves what an operator says ("CNC-3", "cnc 3", "3号数控机床", "the grinder on
line 2", "二线", "主轴温度") against this lexicon, never against names written in code: another
plant file is another lexicon. Built once per plant through read tools (`load_lexicon`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tools import (
    ListAssetsArgs,
    ListTagsArgs,
    NoArgs,
    PlantClient,
    get_topology,
    list_assets,
    list_tags,
    list_technicians,
)

SENSOR_WORDS: dict[str, str] = {
    # English words (and the abbreviations tag names use) -> the token a tag name uses
    "temperature": "temp", "temp": "temp", "hot": "temp", "vibration": "vib", "vib": "vib",
    "vibrating": "vib", "current": "current", "amps": "current", "amperage": "current",
    "load": "current", "speed": "speed", "rpm": "speed", "flow": "flow", "pressure": "pressure",
    "spindle": "spindle", "coolant": "coolant", "oil": "oil", "hydraulic": "hyd", "hyd": "hyd",
    "frame": "frame", "motor": "motor", "zone": "zone", "burner": "burner", "exhaust": "exhaust",
    "fan": "fan", "water": "water", "pump": "pump", "air": "air", "seal": "seal", "bearing": "bearing",
    "discharge": "discharge", "header": "header", "winding": "winding", "voltage": "voltage",
    "outlet": "outlet", "belt": "belt", "gearbox": "gearbox", "stroke": "stroke", "rate": "rate",
    "supply": "supply", "cooler": "cooler", "cooling": "cooling", "furnace": "zone",
    # Chinese
    "主轴": "spindle", "温度": "temp", "振动": "vib", "电流": "current", "转速": "speed",
    "速度": "speed", "流量": "flow", "压力": "pressure", "冷却液": "coolant", "冷却水": "cooling water",
    "油温": "oil temp", "液压": "hyd", "机架": "frame", "电机": "motor", "炉温": "zone temp",
    "区温": "zone temp", "排气": "exhaust", "风机": "fan", "水温": "water temp", "泵": "pump",
    "气压": "air pressure", "封口": "seal", "轴承": "bearing", "出口": "outlet", "电压": "voltage",
    "皮带": "belt", "减速箱": "gearbox", "冲程": "stroke", "供": "supply", "排出": "discharge",
    "绕组": "winding", "冷却器": "cooler",
}  # fmt: skip
"""Words of the language (not names of the plant): what sensor words mean in tag-name tokens."""

KIND_TOKENS = frozenset({"temp", "vib", "current", "speed", "flow", "pressure", "voltage", "rate"})
"""Tokens that name what a sensor measures: a mention that names one must match it."""

_TAG_ABBREV = {"vib": "vib", "temp": "temp", "hyd": "hyd"}


@dataclass(frozen=True, kw_only=True, slots=True)
class AssetEntry:
    id: str
    type: str
    type_name: str
    type_name_zh: str
    category: str
    line: str | None
    area: str
    prefix: str
    """The letters of the id ("CNC" of "CNC-3")."""
    number: int | None
    """The number of the id (3 of "CNC-3"): "3号数控机床" is CNC-3."""
    tags: tuple[str, ...] = ()
    """Tag names ("spindle_temp")."""


@dataclass(frozen=True, kw_only=True, slots=True)
class LineEntry:
    id: str
    name: str
    name_zh: str
    number: int | None
    machines: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class PlantLexicon:
    """Everything the plant names, with lookups the brains use."""

    assets: tuple[AssetEntry, ...]
    lines: tuple[LineEntry, ...]
    technicians: tuple[tuple[str, str], ...] = ()
    """(id, name)."""
    _by_id: dict[str, AssetEntry] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({a.id: a for a in self.assets})

    def asset(self, asset_id: str) -> AssetEntry | None:
        return self._by_id.get(asset_id.upper())

    def line(self, line_id: str) -> LineEntry | None:
        return next((ln for ln in self.lines if ln.id.upper() == line_id.upper()), None)

    def prefixes(self) -> list[str]:
        """Id prefixes, longest first (so 'PWR' is tried before 'P')."""
        return sorted({a.prefix for a in self.assets}, key=lambda p: (-len(p), p))

    def by_prefix(self, prefix: str) -> list[AssetEntry]:
        return [a for a in self.assets if a.prefix == prefix.upper()]

    def machines_of(self, line_id: str) -> list[AssetEntry]:
        ln = self.line(line_id)
        return [a for a in self.assets if ln is not None and a.id in ln.machines]

    def tag_tokens(self, tag_name: str) -> frozenset[str]:
        return frozenset(_TAG_ABBREV.get(p, p) for p in tag_name.split("_"))


_ID = re.compile(r"^([A-Za-z]+)-?(\d+)$")


def split_id(asset_id: str) -> tuple[str, int | None]:
    m = _ID.match(asset_id)
    return (m.group(1).upper(), int(m.group(2))) if m else (asset_id.upper(), None)


async def load_lexicon(client: PlantClient) -> PlantLexicon:
    """Read the lexicon from the plant: topology, assets, tags, technicians."""
    topo = await get_topology(client, NoArgs())
    assets = (await list_assets(client, ListAssetsArgs())).assets
    tags = (await list_tags(client, ListTagsArgs())).tags
    techs = (await list_technicians(client, NoArgs())).technicians
    by_asset: dict[str, list[str]] = {}
    for t in tags:
        by_asset.setdefault(t.asset, []).append(t.name)
    entries = []
    for a in assets:
        prefix, number = split_id(a.id)
        entries.append(
            AssetEntry(
                id=a.id,
                type=a.type,
                type_name=a.type_name,
                type_name_zh=a.type_name_zh,
                category=a.category,
                line=a.line,
                area=a.area,
                prefix=prefix,
                number=number,
                tags=tuple(sorted(by_asset.get(a.id, []))),
            )
        )
    lines = tuple(
        LineEntry(
            id=ln.id,
            name=ln.name,
            name_zh=ln.name_zh,
            number=split_id(ln.id)[1],
            machines=tuple(m.id for m in ln.machines),
        )
        for ln in topo.lines
    )
    return PlantLexicon(assets=tuple(entries), lines=lines, technicians=tuple((t.id, t.name) for t in techs))
