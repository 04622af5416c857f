//! Positions are computed after evaluation, only for the files that have findings: one light scan per
//! such file resolves every JSON pointer the findings carry (README, Design notes: no second full parse).

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;
use std::ops::Range;

use rayon::prelude::*;

use crate::engine::Evaluation;
use crate::locate::{locate_pointers, LineIndex};
use crate::model::Environment;
use crate::source::{Loc, Origin, Source, SourceId};

/// A resolved place in a source: 1-based lines, 1-based columns counted in characters, end exclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub source: SourceId,
    pub span: Range<usize>,
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

#[derive(Debug, Default)]
pub struct Positions {
    map: HashMap<Origin, Region>,
}

impl Positions {
    pub fn resolve(env: &Environment, eval: &Evaluation) -> Self {
        let origins = eval
            .findings
            .iter()
            .flat_map(|f| {
                f.locations
                    .iter()
                    .chain(f.evidence.iter().filter_map(|e| e.origin.as_ref()))
            })
            .chain(eval.not_evaluated.iter().filter_map(|n| n.origin.as_ref()));
        let mut by_source: BTreeMap<SourceId, Vec<&Origin>> = BTreeMap::new();
        for o in origins {
            by_source.entry(o.source).or_default().push(o);
        }
        // One light scan per file with findings, files in parallel.
        let map = by_source
            .into_par_iter()
            .filter_map(|(source, list)| Some(resolve_file(env.sources.get(source)?, source, &list)))
            .flatten()
            .collect();
        Self { map }
    }

    pub fn get(&self, origin: &Origin) -> Option<&Region> {
        self.map.get(origin)
    }
}

/// The regions of one file's origins: every pointer they carry (or its nearest ancestor, the fallback for a
/// field the export omitted) found in one scan of the text.
fn resolve_file(src: &Source, source: SourceId, list: &[&Origin]) -> Vec<(Origin, Region)> {
    let text = src.text.as_str();
    let index = LineIndex::new(text);
    let pointers: Vec<&str> = list
        .iter()
        .filter_map(|o| match &o.loc {
            Loc::Pointer(p) => Some(p.as_str()),
            Loc::Span(_) => None,
        })
        .collect();
    let spans = spans_of(src, &pointers);
    list.par_iter()
        .filter_map(|o| {
            let span = match &o.loc {
                Loc::Span(s) => s.clone(),
                Loc::Pointer(p) => ancestors(p).find_map(|a| spans.get(a).cloned())?,
            };
            let (start_line, start_column) = index.line_col(text, span.start);
            let (end_line, end_column) = index.line_col(text, span.end);
            let region = Region {
                source,
                span,
                start_line,
                start_column,
                end_line,
                end_column,
            };
            Some(((*o).clone(), region))
        })
        .collect()
}

/// The span of each pointer and of its ancestors. In a file read element by element, each element with
/// pointers is scanned alone, elements on every core (an element always holds an ancestor of a pointer
/// inside it: itself); the whole file is scanned only for the pointers outside every element.
fn spans_of<'p>(src: &Source, pointers: &[&'p str]) -> HashMap<&'p str, Range<usize>> {
    let text = src.text.as_str();
    let mut by_element: BTreeMap<usize, Vec<(&'p str, &'p str)>> = BTreeMap::new();
    let mut outside: Vec<&'p str> = Vec::new();
    for &p in pointers {
        match src.elements.as_ref().and_then(|e| e.of(p)) {
            Some((i, rest)) => {
                let prefix = &p[..p.len() - rest.len()];
                let within = ancestors(rest).map(|r| (&p[..prefix.len() + r.len()], r));
                by_element.entry(i).or_default().extend(within);
            }
            None => outside.push(p),
        }
    }
    let elements = src.elements.as_ref().map_or(&[][..], |e| e.spans.as_slice());
    let mut spans: HashMap<&'p str, Range<usize>> = by_element
        .into_par_iter()
        .flat_map_iter(|(i, mut wanted)| {
            wanted.sort_unstable();
            wanted.dedup();
            let at = elements[i].clone();
            let rests: Vec<&str> = wanted.iter().map(|(_, r)| *r).collect();
            let found = locate_pointers(&text[at.clone()], &rests);
            wanted
                .into_iter()
                .zip(found)
                .filter_map(move |((p, _), s)| s.map(|s| (p, s.start + at.start..s.end + at.start)))
        })
        .collect();
    // Pointers outside every element, with their ancestors; none in a file read whole.
    let mut wanted: Vec<&str> = outside.into_iter().flat_map(ancestors).collect();
    wanted.sort_unstable();
    wanted.dedup();
    spans.extend(
        wanted
            .iter()
            .copied()
            .zip(locate_pointers(text, &wanted))
            .filter_map(|(p, s)| Some((p, s?))),
    );
    spans
}

/// The pointer itself, then each parent up to the root.
fn ancestors(p: &str) -> impl Iterator<Item = &str> {
    let mut next = Some(p);
    std::iter::from_fn(move || {
        let cur = next?;
        next = cur.rfind('/').map(|i| &cur[..i]);
        Some(cur)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scanning element by element finds exactly what one scan of the whole file finds.
    #[test]
    fn element_scans_find_what_the_whole_file_scan_finds() {
        let text = r#"{"count": 3, "data": [ {"a": {"b": [1, {"c": "x"}]}},
            {"a~/b": 2} , [7, 8], {"z": null} ], "total_records": 3}"#;
        let whole = Source::from_text("g.json", text.to_string());
        let mut split = Source::from_text("g.json", text.to_string());
        let spans = [
            "{\"a\": {\"b\": [1, {\"c\": \"x\"}]}}",
            "{\"a~/b\": 2}",
            "[7, 8]",
            "{\"z\": null}",
        ]
        .map(|e| text.find(e).map(|at| at..at + e.len()).unwrap());
        split.elements = Some(crate::source::Elements {
            base: "/data",
            spans: spans.to_vec(),
        });
        let pointers = [
            "/data/0/a/b/1/c",
            "/data/0/a/missing",
            "/data/1/a~0~1b",
            "/data/2/1",
            "/data/3",
            "/data/3/z/deeper",
            "/data/9",
            "/count",
            "",
            "/data",
        ];
        fn sorted(m: HashMap<&str, Range<usize>>) -> BTreeMap<&str, Range<usize>> {
            m.into_iter().collect()
        }
        let by_element = sorted(spans_of(&split, &pointers));
        assert_eq!(by_element, sorted(spans_of(&whole, &pointers)));
        assert_eq!(
            by_element["/data/0/a/b/1/c"],
            text.find("\"c\"").map(|at| at..at + 8).unwrap()
        );
    }

    #[test]
    fn ancestors_walk_to_the_root() {
        assert_eq!(
            ancestors("/0/properties/x").collect::<Vec<_>>(),
            ["/0/properties/x", "/0/properties", "/0", ""]
        );
        assert_eq!(ancestors("").collect::<Vec<_>>(), [""]);
    }
}
