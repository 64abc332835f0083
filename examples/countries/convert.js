// Converts the npm package world-countries (countries.json) into a kgforge graph: triples.tsv
// plus the side files entities.tsv and relations.tsv for `kgforge kg import`.
// Entities: countries, capital cities, regions, subregions, languages, currencies, and the two
// coastline classes. Relations: capital, region, subregion, borders, official language,
// currency, landlocked status.
// Usage: node convert.js PACKAGE_DIR OUT_DIR
'use strict';
const fs = require('fs');
const path = require('path');

const [pkg, outDir] = process.argv.slice(2);
if (!pkg || !outDir) {
  console.error('usage: node convert.js PACKAGE_DIR OUT_DIR');
  process.exit(2);
}
const countries = JSON.parse(fs.readFileSync(path.join(pkg, 'countries.json'), 'utf8'));
if (!Array.isArray(countries) || countries.length === 0) {
  console.error(`${pkg}/countries.json: expected a non-empty array of countries`);
  process.exit(1);
}

const clean = (s) => String(s).replace(/[\t\r\n|]+/g, ' ').trim();
const entities = new Map();  // key -> {name, type, aliases}
function entity(key, name, type, aliases = []) {
  if (!entities.has(key)) entities.set(key, {name: clean(name), type, aliases: new Set()});
  for (const a of aliases) if (a && clean(a) !== clean(name)) entities.get(key).aliases.add(clean(a));
  return key;
}
const triples = [];
const add = (h, r, t) => triples.push([h, r, t]);

const byCca3 = new Map(countries.map((c) => [c.cca3, c]));
// Capitals that share a name (Kingston: Jamaica and Norfolk Island) get their country's name.
const capitalCount = new Map();
for (const c of countries) for (const cap of c.capital || []) capitalCount.set(cap, (capitalCount.get(cap) || 0) + 1);

for (const c of countries) {
  const country = entity(`country:${c.cca3}`, c.name.common, 'country',
                         [c.name.official, c.cca2, c.cca3, ...(c.altSpellings || [])]);
  for (const cap of c.capital || []) {
    const name = capitalCount.get(cap) > 1 ? `${cap} (${c.name.common})` : cap;
    add(country, 'capital', entity(`city:${c.cca3}:${cap}`, name, 'city', [cap]));
  }
  if (c.region) add(country, 'region', entity(`region:${c.region}`, c.region, 'region'));
  if (c.subregion) add(country, 'subregion', entity(`subregion:${c.subregion}`, c.subregion, 'subregion'));
  for (const b of c.borders || []) {
    if (byCca3.has(b)) add(country, 'borders', `country:${b}`);
  }
  for (const [code, lang] of Object.entries(c.languages || {})) {
    add(country, 'official_language', entity(`language:${code}`, lang, 'language', [code]));
  }
  for (const [code, cur] of Object.entries(c.currencies || {})) {
    add(country, 'currency', entity(`currency:${code}`, cur.name, 'currency', [code]));
  }
  if (typeof c.landlocked === 'boolean') {
    add(country, 'coastline', c.landlocked ? entity('coast:landlocked', 'landlocked', 'coastline')
                                           : entity('coast:coastal', 'coastal', 'coastline'));
  }
}

const relations = [
  ['capital', 'capital', 'The capital city (or cities) of a country.', 'country', 'city', 'capital_of', 'the capital of {}'],
  ['region', 'region', 'The continental region a country belongs to.', 'country', 'region', 'countries_in', 'the region of {}'],
  ['subregion', 'subregion', 'The geographic subregion a country belongs to.', 'country', 'subregion', 'countries_in', 'the subregion of {}'],
  ['borders', 'borders', 'The countries that share a land border with a country.', 'country', 'country', 'borders', 'the neighbours of {}'],
  ['official_language', 'official_language', 'The official languages of a country.', 'country', 'language', 'spoken_in', 'the official languages of {}'],
  ['currency', 'currency', 'The currencies in use in a country.', 'country', 'currency', 'used_in', 'the currencies of {}'],
  ['coastline', 'coastline', 'Whether a country is landlocked or coastal.', 'country', 'coastline', 'countries_that_are', 'the coastline of {}'],
];

fs.mkdirSync(outDir, {recursive: true});
const write = (name, lines) => {
  const tmp = path.join(outDir, name + '.tmp');
  fs.writeFileSync(tmp, lines.join('\n') + '\n');
  fs.renameSync(tmp, path.join(outDir, name));
};
write('triples.tsv', ['head\trelation\ttail', ...triples.map((t) => t.join('\t'))]);
write('entities.tsv', ['key\tname\ttype\taliases',
  ...[...entities].map(([k, e]) => [k, e.name, e.type, [...e.aliases].join('|')].join('\t'))]);
write('relations.tsv', ['key\tname\tdescription\thead_type\ttail_type\tinverse_name\tquestion_phrase',
  ...relations.map((r) => r.join('\t'))]);
console.error(`countries: ${countries.length} countries, ${entities.size} entities, ${triples.length} triples -> ${outDir}`);
