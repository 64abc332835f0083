// Converts WordNet 3.0 as shipped in Debian's wordnet-base (/usr/share/wordnet/data.{noun,verb,
// adj,adv}, format wndb(5WN)) into a kgforge graph folder: triples.tsv, entities.tsv and
// relations.tsv. Entities are synsets keyed "wn:<offset>-<pos>", named by their first lemma, and
// by "lemma (start of the gloss)" where several synsets share that lemma; aliases are the other
// lemmas. Relations are WordNet's semantic pointers (lexical pointers between word senses are
// lifted to their synsets).
// Usage: node convert.js WORDNET_DIR OUT_DIR
'use strict';
const fs = require('fs');
const path = require('path');

const [wnDir, outDir] = process.argv.slice(2);
if (!wnDir || !outDir) {
  console.error('usage: node convert.js WORDNET_DIR OUT_DIR');
  process.exit(2);
}

// pointer symbol -> [relation key, description, inverse relation key, question phrase]; per wndb(5WN).
const POINTERS = {
  '@': ['hypernym', 'The more general synsets (is-a parents) of a synset.', 'hyponym', 'the hypernyms (broader terms) of {}'],
  '~': ['hyponym', 'The more specific synsets (is-a children) of a synset.', '', 'the hyponyms (narrower terms) of {}'],
  '@i': ['instance_hypernym', 'The class a synset is an instance of.', 'instance_hyponym', 'the classes that {} is an instance of'],
  '~i': ['instance_hyponym', 'The instances of a class synset.', '', 'the instances of {}'],
  '#m': ['member_holonym', 'The groups a synset is a member of.', 'member_meronym', 'the groups that {} is a member of'],
  '%m': ['member_meronym', 'The members of a group synset.', '', 'the members of {}'],
  '#s': ['substance_holonym', 'The things a synset is a substance of.', 'substance_meronym', 'the things that {} is a substance of'],
  '%s': ['substance_meronym', 'The substances a synset is made of.', '', 'the substances in {}'],
  '#p': ['part_holonym', 'The wholes a synset is a part of.', 'part_meronym', 'the wholes that {} is a part of'],
  '%p': ['part_meronym', 'The parts of a synset.', '', 'the parts of {}'],
  '!': ['antonym', 'The synsets of opposite meaning.', 'antonym', 'the opposites of {}'],
  '&': ['similar_to', 'Adjective synsets of similar meaning.', 'similar_to', 'the words similar to {}'],
  '^': ['also_see', 'Related synsets to also see.', 'also_see', 'the related words of {}'],
  '$': ['verb_group', 'Verb synsets of similar meaning grouped together.', 'verb_group', 'the verbs grouped with {}'],
  '+': ['derivation', 'Synsets derivationally related in form.', 'derivation', 'the derivationally related forms of {}'],
  '*': ['entailment', 'What a verb synset entails.', '', 'what {} entails'],
  '>': ['cause', 'What a verb synset causes.', '', 'what {} causes'],
  '=': ['attribute', 'Attributes and their values (noun <-> adjective).', 'attribute', 'the attributes of {}'],
  ';c': ['domain_topic', 'The topic domain of a synset.', 'member_of_domain_topic', 'the topic domains of {}'],
  '-c': ['member_of_domain_topic', 'The synsets in a topic domain.', '', 'the terms in the topic domain {}'],
  ';r': ['domain_region', 'The region domain of a synset.', 'member_of_domain_region', 'the regions of use of {}'],
  '-r': ['member_of_domain_region', 'The synsets in a region domain.', '', 'the terms used in the region {}'],
  ';u': ['domain_usage', 'The usage domain of a synset.', 'member_of_domain_usage', 'the usage domains of {}'],
  '-u': ['member_of_domain_usage', 'The synsets in a usage domain.', '', 'the terms with usage domain {}'],
};
const POS_OF_CHAR = {n: 'n', v: 'v', a: 'a', s: 'a', r: 'r'};
const clean = (s) => s.replace(/[\t\r\n|]+/g, ' ').trim();

const synsets = [];  // {key, lemmas, gloss}
const triples = [];
const seenTriples = new Set();
const usedRelations = new Set();
let lines = 0;
for (const file of ['data.noun', 'data.verb', 'data.adj', 'data.adv']) {
  const p = path.join(wnDir, file);
  if (!fs.existsSync(p)) {
    console.error(`${p}: not found (install Debian's wordnet-base: apt-get install wordnet-base)`);
    process.exit(1);
  }
  const text = fs.readFileSync(p, 'latin1');
  let lineNo = 0;
  for (const line of text.split('\n')) {
    ++lineNo;
    if (line.length === 0 || line.startsWith('  ')) continue;  // license header lines
    const bar = line.indexOf(' | ');
    const f = (bar >= 0 ? line.slice(0, bar) : line).trim().split(/\s+/);
    const gloss = bar >= 0 ? line.slice(bar + 3).trim() : '';
    let i = 0;
    const offset = f[i++];
    i++;  // lex_filenum
    const ssType = f[i++];
    const pos = POS_OF_CHAR[ssType];
    if (!/^\d{8}$/.test(offset) || !pos) {
      console.error(`${p}:${lineNo}: not a wndb data line`);
      process.exit(1);
    }
    const wCnt = parseInt(f[i++], 16);
    const lemmas = [];
    for (let w = 0; w < wCnt; ++w) {
      lemmas.push(f[i].replace(/\(\w+\)$/, '').replace(/_/g, ' '));  // drop adjective markers "(a)"
      i += 2;
    }
    const key = `wn:${offset}-${pos}`;
    synsets.push({key, lemmas, gloss});
    ++lines;
    const pCnt = parseInt(f[i++], 10);
    for (let k = 0; k < pCnt; ++k) {
      const sym = f[i], target = f[i + 1], tpos = POS_OF_CHAR[f[i + 2]];
      i += 4;
      const rel = POINTERS[sym];
      if (!rel || !tpos) continue;  // participle (<) and pertainym (\) are lexical-only: skipped
      const t = `${key}\t${rel[0]}\twn:${target}-${tpos}`;
      if (seenTriples.has(t)) continue;
      seenTriples.add(t);
      triples.push(t);
      usedRelations.add(rel[0]);
    }
  }
}

// Names: the first lemma; a lemma that heads several synsets gets the start of each gloss.
const heads = new Map();
for (const s of synsets) heads.set(s.lemmas[0], (heads.get(s.lemmas[0]) || 0) + 1);
// The first whole words of the gloss, at most `maxWords` and 48 characters (never cut inside a
// word), without trailing function words ("any tropical American plant", not "... plant of the").
const TRAILING = new Set(['a', 'an', 'the', 'of', 'and', 'or', 'to', 'in', 'on', 'at', 'by', 'for',
  'from', 'with', 'as', 'that', 'which', 'who', 'whose', 'its', 'their', 'his', 'her', 'is', 'are',
  'being', 'but', 'not', 'into', 'than', 'especially', 'usually', 'often', 'e.g.', 'etc.']);
function glossHead(gloss, maxWords) {
  const def = gloss.split(/;|"/)[0].replace(/[()]/g, '').trim();
  const words = [];
  let length = 0;
  for (const w of def.split(/\s+/).slice(0, maxWords)) {
    if (words.length > 0 && length + 1 + w.length > 48) break;
    words.push(w);
    length += (words.length > 1 ? 1 : 0) + w.length;
  }
  while (words.length > 1 && TRAILING.has(words[words.length - 1].toLowerCase().replace(/[,:]$/, ''))) {
    words.pop();
  }
  return words.join(' ').replace(/[,:]$/, '');
}
// Names must be unique: where two glosses start alike, both take more words, and past that
// the synset's key.
const names = synsets.map((s) => {
  const lemma = s.lemmas[0];
  return heads.get(lemma) > 1 && s.gloss ? `${lemma} (${glossHead(s.gloss, 6)})` : lemma;
});
for (const [maxWords, last] of [[10, false], [0, true]]) {
  const count = new Map();
  for (const n of names) count.set(n, (count.get(n) || 0) + 1);
  synsets.forEach((s, i) => {
    if (count.get(names[i]) < 2 || !s.gloss) return;
    names[i] = last ? `${names[i].slice(0, -1)}, ${s.key.slice(3)})`
                    : `${s.lemmas[0]} (${glossHead(s.gloss, maxWords)})`;
  });
}
const entityLines = synsets.map((s, i) =>
  [s.key, clean(names[i]), 'synset', s.lemmas.slice(1).map(clean).join('|')].join('\t'));

const relationLines = Object.values(POINTERS)
  .filter(([key]) => usedRelations.has(key))
  .map(([key, desc, inverse, phrase]) => [key, key, desc, 'synset', 'synset',
                                          usedRelations.has(inverse) ? inverse : '', phrase].join('\t'));

fs.mkdirSync(outDir, {recursive: true});
const write = (name, rows) => {
  const tmp = path.join(outDir, name + '.tmp');
  fs.writeFileSync(tmp, rows.join('\n') + '\n');
  fs.renameSync(tmp, path.join(outDir, name));
};
write('entities.tsv', ['key\tname\ttype\taliases', ...entityLines]);
write('relations.tsv', ['key\tname\tdescription\thead_type\ttail_type\tinverse_name\tquestion_phrase', ...relationLines]);
write('triples.tsv', ['head\trelation\ttail', ...triples]);
console.error(`wordnet: ${lines} synsets, ${usedRelations.size} relations, ${triples.length} triples -> ${outDir}`);
