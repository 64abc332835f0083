// Names and keys: display names derived from keys, snake_case relation names, the N-Triples
// spelling of keys (IRIs, literals, and the urn:kgforge:key: namespace that lets any key
// round-trip through N-Triples).
#ifndef KGF_KG_IMPORT_NAMES_H_
#define KGF_KG_IMPORT_NAMES_H_

#include <string>
#include <string_view>

namespace kgf::kg {

// Entity display name derived from a key when no side file names it: a literal's lexical form;
// the last path segment of an IRI (after '#' or '/'), percent-decoded, '_' as space; other
// keys as they are.
std::string DeriveEntityName(std::string_view key);
// snake_case ASCII tool-name part derived from a relation key or label: the IRI's last
// segment, camelCase split, non-alphanumerics as '_', lowercase; "relation" if nothing is left.
std::string DeriveRelationName(std::string_view key);
// True for [a-z0-9_]+ starting with a letter.
bool IsSnakeCase(std::string_view name);

// True if the key is an absolute IRI (scheme ':' ...), e.g. "http://x/y" or "urn:isbn:1".
bool LooksLikeIri(std::string_view key);
// The IRI naming `key` in N-Triples: the key itself when it is an IRI, else
// "urn:kgforge:key:" + percent-encoded key.
std::string KeyToIri(std::string_view key);
// Inverse of KeyToIri for the urn:kgforge:key: namespace; other IRIs unchanged.
std::string DecodeKgforgeIri(std::string_view iri);
// Canonical N-Triples literal: "lexical" with escapes, then @lang or ^^<datatype> if given.
std::string NTriplesLiteral(std::string_view lexical, std::string_view lang,
                            std::string_view datatype);
// <iri> with characters outside the IRI grammar \u-escaped.
std::string NTriplesIri(std::string_view iri);

}  // namespace kgf::kg

#endif  // KGF_KG_IMPORT_NAMES_H_
