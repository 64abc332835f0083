// Converts the game data of the npm package pokemon-showdown (dist/data: pokedex, moves,
// abilities, learnsets, typechart) into a kgforge graph: triples.tsv plus the side files
// entities.tsv and relations.tsv for `kgforge kg import`.
// Entities: Pokémon (every species, plus regional forms, Mega Evolutions and Primal Reversions),
// their types, abilities, egg groups, Pokédex colors and debut generations, moves and their
// damage categories. Relations: 15, from one-to-one (hidden ability) through one-to-many
// (evolutions, forms) to many-to-many (types, egg groups, level-up moves) and type-to-type
// matchups (weaknesses, resistances, immunities).
// Usage: node convert.js DATA_DIR OUT_DIR   (DATA_DIR: the package's dist/data)
'use strict';
const fs = require('fs');
const path = require('path');

const [dataDir, outDir] = process.argv.slice(2);
if (!dataDir || !outDir) {
  console.error('usage: node convert.js DATA_DIR OUT_DIR');
  process.exit(2);
}
function table(file, name) {
  const p = path.resolve(dataDir, file);
  let t;
  try {
    t = require(p)[name];
  } catch (e) {
    console.error(`${p}: cannot load (${e.message})`);
    process.exit(1);
  }
  if (!t || typeof t !== 'object' || Object.keys(t).length === 0) {
    console.error(`${p}: expected a non-empty table '${name}'`);
    process.exit(1);
  }
  return t;
}
const pokedex = table('pokedex.js', 'Pokedex');
const moves = table('moves.js', 'Moves');
const abilities = table('abilities.js', 'Abilities');
const learnsets = table('learnsets.js', 'Learnsets');
const typechart = table('typechart.js', 'TypeChart');

const clean = (s) => String(s).replace(/[\t\r\n|]+/g, ' ').trim();
const id = (s) => String(s).toLowerCase().replace(/[^a-z0-9]+/g, '');
const entities = new Map();  // key -> {name, type, aliases}
function entity(key, name, type, aliases = []) {
  if (!entities.has(key)) entities.set(key, {name: clean(name), type, aliases: new Set()});
  for (const a of aliases) if (a && clean(a) !== clean(name)) entities.get(key).aliases.add(clean(a));
  return key;
}
const triples = [];
const seen = new Set();
const add = (h, r, t) => {
  const k = `${h}\t${r}\t${t}`;
  if (!seen.has(k)) { seen.add(k); triples.push([h, r, t]); }
};

// Which Pokédex entries become Pokémon, and their display names. Cosmetic and battle-only
// formes (Gigantamax, Totem, Rotom's appliances, ...) are left out; regional forms, Mega
// Evolutions and Primal Reversions are kept under their in-game names ("Alolan Raichu",
// "Mega Charizard X", "Primal Kyogre").
const kRegion = {Alola: 'Alolan', Galar: 'Galarian', Hisui: 'Hisuian', Paldea: 'Paldean'};
const kRegionGen = {Alola: 7, Galar: 8, Hisui: 8, Paldea: 9};
function formOf(p) {
  if (!p.baseSpecies || !p.forme) return {kind: 'species', name: p.name};
  const base = p.baseSpecies, f = p.forme;
  if (base === 'Pikachu') return null;  // "Pikachu-Alola" etc. are Pikachu in caps
  let m;
  if ((m = /^(Alola|Galar|Hisui|Paldea)(?:-(Combat|Blaze|Aqua))?$/.exec(f))) {
    return {kind: 'regional', region: m[1],
            name: `${kRegion[m[1]]} ${base}` + (m[2] ? ` (${m[2]} Breed)` : '')};
  }
  if ((m = /^Mega(?:-([XYZ]))?$/.exec(f))) return {kind: 'mega', name: `Mega ${base}` + (m[1] ? ` ${m[1]}` : '')};
  if ((m = /^(.+)-Mega$/.exec(f))) {
    const rest = {M: 'Male', F: 'Female'}[m[1]] || `${m[1]} Form`;
    return {kind: 'mega', name: `Mega ${base} (${rest})`};
  }
  if (f === 'Primal') return {kind: 'mega', name: `Primal ${base}`};
  return null;
}
function generationByNumber(num) {
  const firsts = [1, 152, 252, 387, 494, 650, 722, 810, 906];
  let g = 0;
  for (let i = 0; i < firsts.length; ++i) if (num >= firsts[i]) g = i + 1;
  return g;
}
const kRoman = ['', 'I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX'];

const pokemon = new Map();  // showdown name -> {key, entry, form}
for (const [pid, p] of Object.entries(pokedex)) {
  if (!(p.num > 0) || p.isNonstandard) continue;  // CAP and other fan-made entries
  const form = formOf(p);
  if (!form) continue;
  pokemon.set(p.name, {key: `pokemon:${pid}`, pid, p, form});
}

// The 18 types of the type chart ("Stellar" is a Terastal-only type, not a Pokémon's type).
const realTypes = Object.keys(typechart).filter((t) => t !== 'stellar')
  .map((t) => t.charAt(0).toUpperCase() + t.slice(1));
const typeKey = (t) => entity(`type:${id(t)}`, t, 'pokemon_type', [`${t}-type`, `${t} type`]);
for (const t of realTypes) typeKey(t);
const abilityKey = (a) => entity(`ability:${id(a)}`, a, 'ability');
for (const {key, p, form} of pokemon.values()) {
  const name = {'Nidoran-F': 'Nidoran♀', 'Nidoran-M': 'Nidoran♂'}[form.name] || form.name;
  entity(key, name, 'pokemon', [p.name, String(p.num).padStart(4, '0')]);
  for (const t of p.types || []) add(key, 'type', typeKey(t));
  for (const [slot, a] of Object.entries(p.abilities || {})) {
    if (!a || a === 'No Ability') continue;
    add(key, slot === 'H' ? 'hidden_ability' : 'ability', abilityKey(a));
  }
  for (const g of p.eggGroups || []) {
    // Egg groups named like a type or a Pokémon ("Grass", "Ditto") read "Grass (egg group)".
    const name = realTypes.includes(g) || pokemon.has(g) ? `${g} (egg group)` : g;
    add(key, 'egg_group', entity(`egg:${id(g)}`, name, 'egg_group', [`${g} group`]));
  }
  if (p.color) add(key, 'color', entity(`color:${id(p.color)}`, p.color, 'color'));
  const gen = p.gen || (form.kind === 'regional' ? kRegionGen[form.region]
                       : form.kind === 'mega' ? 6 : generationByNumber(p.num));
  if (gen >= 1 && gen <= 9) {
    add(key, 'generation', entity(`gen:${gen}`, `Generation ${kRoman[gen]}`, 'generation', [`Gen ${gen}`]));
  }
  for (const e of p.evos || []) if (pokemon.has(e)) add(key, 'evolves_into', pokemon.get(e).key);
  if (form.kind !== 'species' && pokemon.has(p.baseSpecies)) {
    add(pokemon.get(p.baseSpecies).key, form.kind === 'mega' ? 'mega_evolution' : 'regional_form', key);
  }
}

// Moves: the real ones (no Z-Moves, Max Moves, Hidden Power variants, fan-made or future moves).
const moveKeys = new Map();  // move id -> entity key
for (const [mid, m] of Object.entries(moves)) {
  if (!(m.num > 0) || m.isZ || m.isMax || m.realMove || /^hiddenpower./.test(mid)) continue;
  if (m.isNonstandard && m.isNonstandard !== 'Past') continue;
  // A move named like a type ("Psychic") gets the store's disambiguation, spelled out here.
  const name = entities.has(`type:${id(m.name)}`) ? `${m.name} (move)` : m.name;
  const key = entity(`move:${mid}`, name, 'move');
  moveKeys.set(mid, key);
  if (m.type && m.type !== '???') add(key, 'move_type', typeKey(m.type));
  if (m.category) add(key, 'move_category', entity(`category:${id(m.category)}`, m.category, 'move_category'));
}

// Level-up moves: those of the most recent generation in which the Pokémon learns any move by
// level-up (codes like "9L15": generation 9, level 15).
for (const {key, pid} of pokemon.values()) {
  const ls = learnsets[pid] && learnsets[pid].learnset;
  if (!ls) continue;
  let latest = 0;
  for (const how of Object.values(ls)) for (const c of how) {
    const m = /^(\d)L/.exec(c);
    if (m) latest = Math.max(latest, Number(m[1]));
  }
  for (const [mid, how] of Object.entries(ls)) {
    if (moveKeys.has(mid) && how.some((c) => c.startsWith(`${latest}L`))) add(key, 'level_up_move', moveKeys.get(mid));
  }
}

// Type matchups from the defending type's damageTaken: 1 = weak, 2 = resists, 3 = immune.
for (const def of realTypes) {
  const taken = typechart[id(def)].damageTaken || {};
  for (const att of realTypes) {
    const rel = {1: 'weak_to', 2: 'resists', 3: 'immune_to'}[taken[att]];
    if (rel) add(typeKey(def), rel, typeKey(att));
  }
}

// Relation names become tool names (get_<name>_of_<head type>), so they are nouns; inverse names
// end in a preposition so that they read into the tail type (get_pokemon_with_ability).
const relations = [
  ['type', 'type', 'The types of a Pokémon (one or two).', 'pokemon', 'pokemon_type', 'pokemon_of', 'the types of {}'],
  ['ability', 'ability', 'The regular abilities a Pokémon can have.', 'pokemon', 'ability', 'pokemon_with', 'the abilities of {}'],
  ['hidden_ability', 'hidden_ability', "A Pokémon's hidden ability.", 'pokemon', 'ability', 'hidden_holders_of', 'the hidden ability of {}'],
  ['egg_group', 'egg_group', 'The egg groups a Pokémon breeds in.', 'pokemon', 'egg_group', 'pokemon_in', 'the egg groups of {}'],
  ['color', 'color', "A Pokémon's color in the Pokédex.", 'pokemon', 'color', 'pokemon_of', 'the Pokédex color of {}'],
  ['generation', 'generation', 'The generation of games that introduced a Pokémon or form.', 'pokemon', 'generation', 'pokemon_introduced_in', 'the debut generation of {}'],
  ['evolves_into', 'evolution', 'The Pokémon a Pokémon evolves into.', 'pokemon', 'pokemon', 'evolves_from', 'the evolutions of {}'],
  ['mega_evolution', 'mega_evolution', 'The Mega Evolutions (and Primal Reversions) of a Pokémon.', 'pokemon', 'pokemon', 'base_form_of', 'the Mega Evolutions of {}'],
  ['regional_form', 'regional_form', 'The regional forms of a Pokémon (Alolan, Galarian, Hisuian, Paldean).', 'pokemon', 'pokemon', 'original_form_of', 'the regional forms of {}'],
  ['level_up_move', 'level_up_move', 'The moves a Pokémon learns by levelling up (latest games).', 'pokemon', 'move', 'learners_of', 'the level-up moves of {}'],
  ['move_type', 'move_type', 'The type of a move.', 'move', 'pokemon_type', 'moves_of', 'the type of {}'],
  ['move_category', 'move_category', 'Whether a move is physical, special or status.', 'move', 'move_category', 'moves_in', 'the damage category of {}'],
  ['weak_to', 'weakness', 'The attacking types that are super effective against a defending type.', 'pokemon_type', 'pokemon_type', 'super_effective_on', 'the weaknesses of {}'],
  ['resists', 'resistance', 'The attacking types that are not very effective against a defending type.', 'pokemon_type', 'pokemon_type', 'resisted_by', 'the resistances of {}'],
  ['immune_to', 'immunity', 'The attacking types that have no effect on a defending type.', 'pokemon_type', 'pokemon_type', 'no_effect_on', 'the immunities of {}'],
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
console.error(`pokemon: ${pokemon.size} Pokémon, ${moveKeys.size} moves, ${entities.size} entities, ` +
              `${triples.length} triples -> ${outDir}`);
