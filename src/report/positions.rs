//! Positions are computed after evaluation, only for the files that have findings: one light scan per
//! such file resolves every JSON pointer the findings carry (README, Design notes: no second full parse).

use std::collections::{BTreeMap, HashMap};
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

/// The regions of one file's origins: every pointer they carry (and its ancestors, the fallback for a
/// field the export omitted) found in one scan of the text.
fn resolve_file(src: &Source, source: SourceId, list: &[&Origin]) -> Vec<(Origin, Region)> {
    let text = src.text.as_str();
    let index = LineIndex::new(text);
    let mut wanted: Vec<String> = Vec::new();
    for o in list {
        if let Loc::Pointer(p) = &o.loc {
            wanted.extend(ancestors(p).map(str::to_string));
        }
    }
    wanted.sort();
    wanted.dedup();
    let refs: Vec<&str> = wanted.iter().map(String::as_str).collect();
    let spans: HashMap<&str, Range<usize>> = refs
        .iter()
        .zip(locate_pointers(text, &refs))
        .filter_map(|(p, s)| Some((*p, s?)))
        .collect();
    let mut out = Vec::new();
    for o in list {
        let span = match &o.loc {
            Loc::Span(s) => Some(s.clone()),
            Loc::Pointer(p) => ancestors(p).find_map(|a| spans.get(a).cloned()),
        };
        if let Some(span) = span {
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
            out.push(((*o).clone(), region));
        }
    }
    out
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

    #[test]
    fn ancestors_walk_to_the_root() {
        assert_eq!(
            ancestors("/0/properties/x").collect::<Vec<_>>(),
            ["/0/properties/x", "/0/properties", "/0", ""]
        );
        assert_eq!(ancestors("").collect::<Vec<_>>(), [""]);
    }
}
