"""Reading open-data layer files as published: rows and geometries, no interpretation.

- INSEE's gridded population (Filosofi, 200 m cells): a CSV whose ``Idcar_200m`` column is the
  cell code ``CRS3035RES200mN<northing>E<easting>`` (EPSG:3035 lower-left corner, metres)
  and ``Ind`` the number of inhabitants;
- Sitadel building permits (SDES list of permits creating dwellings): a ``;``-separated CSV
  with ``NUM_DAU``, ``ETAT_DAU``, ``DATE_REELLE_AUTORISATION``, ``NB_LGT_TOT_CREES`` and the
  site's coordinates, either ``latitude``/``longitude`` or Lambert-93 ``X_LAMBERT93``/
  ``Y_LAMBERT93`` (verify the column names against the list you download);
- any GeoJSON FeatureCollection, or the first feature table of a GeoPackage (OGC GPKG:
  SQLite with the geometry as a GPKG blob around WKB, read with shapely).

Every error is one ``LayerReadError`` line naming the file and, for a row, its line number.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class LayerReadError(Exception):
    """The file is not a layer of the kind asked for (file name, line, reason)."""


@dataclass
class RawFeatures:
    """Features as read: GeoJSON-like geometries, their properties, the geometries' CRS."""

    geometries: list[dict[str, Any]] = field(default_factory=list)
    properties: list[dict[str, Any]] = field(default_factory=list)
    crs_epsg: int = 4326


def _text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise LayerReadError(f"{path.name}: {e.strerror or e}") from None
    for encoding in ("utf-8-sig", "cp1252"):  # INSEE and SDES publish in either
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LayerReadError(f"{path.name}: neither UTF-8 nor Windows-1252 text")


def _rows(path: Path, needed: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    text = _text(path)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    names = {n.strip().lower(): n for n in reader.fieldnames or ()}
    missing = [n for n in needed if n.lower() not in names]
    if missing:
        raise LayerReadError(f"{path.name}: no column {', '.join(missing)}")
    out = []
    for line, row in enumerate(reader, start=2):
        out.append((line, {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}))
    return out


def read_population_grid(path: Path) -> tuple[list[str], list[float]]:
    """Cell codes and inhabitants of an INSEE 200 m grid file."""
    codes, people = [], []
    for line, row in _rows(path, ("Idcar_200m", "Ind")):
        try:
            people.append(float(row["ind"].replace(",", ".")))
        except ValueError:
            raise LayerReadError(f"{path.name} line {line}: Ind is not a number") from None
        codes.append(row["idcar_200m"])
    return codes, people


SITADEL_XY = (("longitude", "latitude", 4326), ("x_lambert93", "y_lambert93", 2154))


def read_permits(path: Path) -> tuple[list[dict[str, Any]], int]:
    """Sitadel permits: number, state, date, dwellings, x, y; and the EPSG code of x/y."""
    rows = _rows(path, ("NUM_DAU", "DATE_REELLE_AUTORISATION", "NB_LGT_TOT_CREES"))
    if not rows:
        return [], 4326
    found = next(((x, y, epsg) for x, y, epsg in SITADEL_XY if x in rows[0][1]), None)
    if found is None:
        raise LayerReadError(
            f"{path.name}: no coordinates (latitude/longitude or X_LAMBERT93/Y_LAMBERT93)"
        )
    xcol, ycol, epsg = found
    out = []
    for line, row in rows:
        if not row[xcol] or not row[ycol]:
            continue  # a permit without a located site cannot be crossed with a street
        try:
            out.append(
                {
                    "number": row["num_dau"],
                    "state": row.get("etat_dau", ""),
                    "date": row["date_reelle_autorisation"],
                    "dwellings": int(float(row["nb_lgt_tot_crees"] or 0)),
                    "x": float(row[xcol].replace(",", ".")),
                    "y": float(row[ycol].replace(",", ".")),
                }
            )
        except ValueError:
            raise LayerReadError(f"{path.name} line {line}: not a number") from None
    return out, epsg


def read_geojson(path: Path) -> RawFeatures:
    """The features of a GeoJSON FeatureCollection (RFC 7946: WGS 84)."""
    try:
        doc = json.loads(_text(path))
    except ValueError as e:
        raise LayerReadError(f"{path.name}: not JSON ({e.msg}, line {e.lineno})") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise LayerReadError(f"{path.name}: not a GeoJSON FeatureCollection")
    out = RawFeatures()
    for k, f in enumerate(doc.get("features") or []):
        geometry = f.get("geometry") if isinstance(f, dict) else None
        if not isinstance(geometry, dict) or "type" not in geometry:
            raise LayerReadError(f"{path.name}: feature {k + 1} has no geometry")
        out.geometries.append(geometry)
        props = f.get("properties")
        out.properties.append(props if isinstance(props, dict) else {})
    return out


def read_geopackage(path: Path) -> RawFeatures:
    """The first feature table of a GeoPackage (geometries as GeoJSON-like dicts)."""
    import shapely
    from shapely.geometry import mapping

    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        raise LayerReadError(f"{path.name}: not a GeoPackage") from None
    try:
        try:
            table = conn.execute(
                "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c "
                "JOIN gpkg_geometry_columns g ON g.table_name = c.table_name "
                "WHERE c.data_type = 'features' ORDER BY c.table_name LIMIT 1"
            ).fetchone()
        except sqlite3.DatabaseError:
            raise LayerReadError(f"{path.name}: not a GeoPackage (no gpkg_contents)") from None
        if table is None:
            raise LayerReadError(f"{path.name}: the GeoPackage holds no feature table")
        name, column, srs = table
        cursor = conn.execute(f'SELECT * FROM "{name}"')  # names come from the file's catalogue
        names = [d[0] for d in cursor.description]
        out = RawFeatures(crs_epsg=int(srs))
        for k, row in enumerate(cursor, start=1):
            values = dict(zip(names, row, strict=True))
            blob = values.pop(column)
            if blob is None:
                continue
            try:
                geom = shapely.from_wkb(_gpkg_wkb(bytes(blob)))
            except (ValueError, struct.error, shapely.errors.GEOSException):
                raise LayerReadError(f"{path.name}: feature {k} has a broken geometry") from None
            out.geometries.append(dict(mapping(geom)))
            out.properties.append(
                {k2: v for k2, v in values.items() if isinstance(v, str | int | float)}
            )
        return out
    finally:
        conn.close()


def _gpkg_wkb(blob: bytes) -> bytes:
    """The WKB inside a GeoPackage geometry blob (after its header and envelope)."""
    if blob[:2] != b"GP":
        raise ValueError("not a GPKG geometry")
    flags = blob[3]
    envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}.get((flags >> 1) & 0x07)
    if envelope is None:
        raise ValueError("bad envelope")
    return blob[8 + envelope :]
