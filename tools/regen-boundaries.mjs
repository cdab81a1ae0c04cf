// regen-boundaries.mjs — converts the us-atlas TopoJSON (Census cartographic
// boundaries, 1:10,000,000, 2017 edition) into the GeoJSON that
// `onramp import boundaries` reads, and copies the Open Civic Data ids of the
// demo states. Run through tools/regen-boundaries.sh, which pins and installs
// the packages; see data/README.md.
//
//   node tools/regen-boundaries.mjs OCD_DIR DATA_DIR BENCH_DIR
//
// OCD_DIR is a checkout of opencivicdata/ocd-division-ids' country-us
// identifiers (the CSV files); when it is missing, the copy already in
// DATA_DIR/ocd-divisions.csv maps the demo states' counties, and the bench
// file uses "fips" ids for the rest.
//
// Writes DATA_DIR/boundaries-states.geojson, DATA_DIR/boundaries-counties.geojson
// and DATA_DIR/ocd-divisions.csv (the demo states only), and
// BENCH_DIR/counties-all.geojson (every county, for bench/races.sh; not
// committed). Each feature carries properties {ocd_id, name, fips}.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { feature } from "topojson-client";

const require = createRequire(import.meta.url);
const [ocdDir, dataDir, benchDir] = process.argv.slice(2);
if (!ocdDir || !dataDir || !benchDir) {
  console.error("usage: node regen-boundaries.mjs OCD_DIR DATA_DIR BENCH_DIR");
  process.exit(2);
}

// The demo states: Virginia, Pennsylvania, Arizona.
const DEMO = { "51": "va", "42": "pa", "04": "az" };
const POSTAL = {
  "01": "al", "02": "ak", "04": "az", "05": "ar", "06": "ca", "08": "co", "09": "ct",
  "10": "de", "11": "dc", "12": "fl", "13": "ga", "15": "hi", "16": "id", "17": "il",
  "18": "in", "19": "ia", "20": "ks", "21": "ky", "22": "la", "23": "me", "24": "md",
  "25": "ma", "26": "mi", "27": "mn", "28": "ms", "29": "mo", "30": "mt", "31": "ne",
  "32": "nv", "33": "nh", "34": "nj", "35": "nm", "36": "ny", "37": "nc", "38": "nd",
  "39": "oh", "40": "ok", "41": "or", "42": "pa", "44": "ri", "45": "sc", "46": "sd",
  "47": "tn", "48": "tx", "49": "ut", "50": "vt", "51": "va", "53": "wa", "54": "wv",
  "55": "wi", "56": "wy", "60": "as", "66": "gu", "69": "mp", "72": "pr", "78": "vi",
};
const STATE_NAMES = { va: "Virginia", pa: "Pennsylvania", az: "Arizona" };

// ---- a small CSV reader (quoted fields, no newlines inside: the OCD files) ----
function csvRows(text) {
  const rows = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line) continue;
    const out = [];
    let cur = "", q = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (q) {
        if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; }
        else if (ch === '"') q = false;
        else cur += ch;
      } else if (ch === '"') q = true;
      else if (ch === ",") { out.push(cur); cur = ""; }
      else cur += ch;
    }
    out.push(cur);
    rows.push(out);
  }
  return rows;
}
const csvField = (s) => (/[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s);

// ---- the OCD ids ----
const haveOcd = fs.existsSync(path.join(ocdDir, "us_census_places.csv"));
const byFips = new Map();        // "51087" -> {id, name}
const vaCities = new Map();      // "richmond city" -> {id, name}
const subset = [];               // rows of ocd-divisions.csv: [id, name, census_geoid]
const STATE_RE = /^ocd-division\/country:us\/(?:state|district|territory):([a-z]{2})(?:\/|$)/;

function addPlaces(rows) {
  for (const [id, name, geoid] of rows) {
    if (!id || !id.startsWith("ocd-division/")) continue;
    const m = /^place-(\d{5})$/.exec(geoid || "");
    if (m) byFips.set(m[1], { id, name });
    if (id.startsWith("ocd-division/country:us/state:va/place:") && / city$/.test(name))
      vaCities.set(name.toLowerCase(), { id, name });
  }
}

if (haveOcd) {
  const places = csvRows(fs.readFileSync(path.join(ocdDir, "us_census_places.csv"), "utf8"));
  addPlaces(places);
  const demoState = (id) => {
    const m = STATE_RE.exec(id);
    return m && Object.values(DEMO).includes(m[1]);
  };
  for (const st of Object.values(DEMO))
    subset.push([`ocd-division/country:us/state:${st}`, STATE_NAMES[st], ""]);
  // counties and independent cities (what the boundaries name), places used
  // by the demo offices, and the state legislative districts
  const wantedPlaces = new Set(["richmond", "norfolk", "alexandria", "philadelphia",
    "pittsburgh", "phoenix", "tucson"]);
  for (const [id, name, geoid] of places) {
    if (!demoState(id || "")) continue;
    const county = /\/county:[^/]+$/.test(id) && id.split("/").length === 4;
    const place = /\/place:([^/]+)$/.exec(id);
    const cityCounty = id.startsWith("ocd-division/country:us/state:va/place:") && / city$/.test(name);
    if (county || cityCounty || (place && wantedPlaces.has(place[1]) && id.split("/").length === 4))
      subset.push([id, name, geoid || ""]);
  }
  for (const f of ["us_sldl.csv", "us_sldu.csv"]) {
    for (const [id, name] of csvRows(fs.readFileSync(path.join(ocdDir, f), "utf8")))
      if (id && id.startsWith("ocd-division/") && demoState(id)) subset.push([id, name, ""]);
  }
  const schools = new Set([
    "ocd-division/country:us/state:pa/county:allegheny/school_district:pittsburgh_sd",
    "ocd-division/country:us/state:az/county:pima/school_district:tucson_unified_district",
    "ocd-division/country:us/state:az/county:maricopa/school_district:phoenix_union_high_school_district",
  ]);
  for (const [id, name] of csvRows(fs.readFileSync(path.join(ocdDir, "us_school_districts.csv"), "utf8")))
    if (schools.has(id)) subset.push([id, name, ""]);
} else {
  // the committed copy: enough for the demo states' counties
  addPlaces(csvRows(fs.readFileSync(path.join(dataDir, "ocd-divisions.csv"), "utf8")).slice(1));
  console.error("regen-boundaries: no OCD list at " + ocdDir + "; using data/ocd-divisions.csv");
}

// ---- the boundaries ----
const topo = require("us-atlas/counties-10m.json");
const round = (v) => Math.round(v * 1e5) / 1e5;  // about 1 m: far below the map's own precision
function roundCoords(c) {
  return typeof c[0] === "number" ? [round(c[0]), round(c[1])] : c.map(roundCoords);
}

function countyId(fips, name) {
  const st = fips.slice(0, 2);
  if (st === "51" && Number(fips.slice(2)) >= 500) {
    const city = vaCities.get(name.toLowerCase() + " city");
    if (city) return city;
  }
  const hit = byFips.get(fips);
  if (hit) return hit;
  return null;
}

const states = [], counties = [], all = [];
let unmapped = 0;
for (const f of feature(topo, topo.objects.states).features) {
  const st = DEMO[f.id];
  if (!st) continue;
  states.push({
    type: "Feature",
    properties: { ocd_id: `ocd-division/country:us/state:${st}`, name: STATE_NAMES[st], fips: f.id },
    geometry: { type: f.geometry.type, coordinates: roundCoords(f.geometry.coordinates) },
  });
}
for (const f of feature(topo, topo.objects.counties).features) {
  if (!f.geometry) continue;
  const fips = String(f.id).padStart(5, "0");
  const hit = countyId(fips, f.properties.name);
  const postal = POSTAL[fips.slice(0, 2)] || "xx";
  const out = {
    type: "Feature",
    properties: {
      ocd_id: hit ? hit.id : `ocd-division/country:us/state:${postal}/county:fips_${fips}`,
      name: hit ? hit.name : f.properties.name,
      fips,
    },
    geometry: { type: f.geometry.type, coordinates: roundCoords(f.geometry.coordinates) },
  };
  all.push(out);
  // Philadelphia's city and county are one (consolidated in 1854): the
  // county's boundary is the city's too, so its city offices can be found
  if (fips === "42101")
    counties.push({ ...out, properties: { ...out.properties,
      ocd_id: "ocd-division/country:us/state:pa/place:philadelphia", name: "Philadelphia city" } });
  if (DEMO[fips.slice(0, 2)]) {
    if (!hit) {
      console.error(`regen-boundaries: no OCD id for county ${fips} (${f.properties.name})`);
      unmapped++;
      continue;
    }
    counties.push(out);
  }
}
const collection = (features) => JSON.stringify({ type: "FeatureCollection", features });
fs.mkdirSync(dataDir, { recursive: true });
fs.mkdirSync(benchDir, { recursive: true });
fs.writeFileSync(path.join(dataDir, "boundaries-states.geojson"), collection(states) + "\n");
fs.writeFileSync(path.join(dataDir, "boundaries-counties.geojson"), collection(counties) + "\n");
fs.writeFileSync(path.join(benchDir, "counties-all.geojson"), collection(all) + "\n");
if (haveOcd) {
  const seen = new Set();
  const lines = ["id,name,census_geoid"];
  for (const r of subset) {
    if (seen.has(r[0])) continue;
    seen.add(r[0]);
    lines.push(r.map(csvField).join(","));
  }
  fs.writeFileSync(path.join(dataDir, "ocd-divisions.csv"), lines.join("\n") + "\n");
}
console.log(`regen-boundaries: ${states.length} states, ${counties.length} demo counties` +
  ` (${unmapped} without an OCD id), ${all.length} counties for the bench`);
process.exit(unmapped ? 1 : 0);
