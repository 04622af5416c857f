//! A resource list (a top-level array) or a Resource Graph result (its `data` array) read element by
//! element: the sequential pass only finds each element's text (a syntax check, no tree); batches of
//! elements are parsed, staged and dropped on every core while it goes on, so that one big file keeps both
//! cores busy and no tree of the whole file ever exists. Any other document is parsed whole, as
//! before. Whenever the stream cannot decide as the whole-document reading would (malformed JSON, a `data`
//! array in an object that is not a Resource Graph result), it gives up and the file is read whole: errors
//! and recognition stay exactly those of `serde_json::from_str::<Value>` and [`super::recognise`].

use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::{arm_template, has_graph_keys, is_resource, resources, template, Family, Staged};
use crate::ingest::terraform::is_terraform;
use crate::source::{Elements, Source};

/// Elements staged by one task: enough to be worth a task, few enough to keep little parsed at once.
const BATCH: usize = 64;
/// Batches waiting for a core at most; beyond that, the parsing thread stages its batch itself.
const IN_FLIGHT: usize = 4;

/// What streaming a file gave.
pub enum Streamed {
    /// A top-level array or a Resource Graph result, staged, with where its elements are; `None` when an
    /// element is not a resource (not a recognised input).
    Staged(Option<(Family, Vec<Staged>, Elements)>),
    /// Any other document, parsed whole.
    Document(Value),
}

/// `None`: read the file whole (malformed JSON, or a shape only the whole document tells).
pub fn read(source: &Source) -> Option<Streamed> {
    let batches = Mutex::new(Vec::new());
    let pending = AtomicUsize::new(0);
    let (not_resource, unparsed) = (AtomicBool::new(false), AtomicBool::new(false));
    let top = rayon::scope(|scope| {
        let ctx = Ctx {
            source,
            scope,
            batches: &batches,
            pending: &pending,
            not_resource: &not_resource,
            unparsed: &unparsed,
        };
        let mut de = serde_json::Deserializer::from_str(&source.text);
        let top = TopSeed(&ctx).deserialize(&mut de).ok()?;
        de.end().ok().map(|()| top)
    })?;
    if unparsed.into_inner() {
        return None;
    }
    let all = !not_resource.into_inner();
    let mut batches = batches.into_inner().unwrap_or_else(PoisonError::into_inner);
    batches.sort_unstable_by_key(|(index, _)| *index);
    let staged = batches.into_iter().flat_map(|(_, staged)| staged).collect();
    let listed = |family, base, spans| all.then_some((family, staged, Elements { base, spans }));
    match top {
        Top::List(spans) => Some(Streamed::Staged(listed(Family::ResourceList, "", spans))),
        Top::Object(obj, None) => Some(Streamed::Document(Value::Object(obj))),
        Top::Object(obj, Some(spans)) => {
            // What `recognise` asks before the Resource Graph shape; none of it reads `data`.
            let graph = has_graph_keys(&obj) && {
                let rest = Value::Object(obj);
                !template::is_parameter_file(&rest) && !arm_template::is_template(&rest) && !is_terraform(&rest)
            };
            graph.then(|| Streamed::Staged(listed(Family::ResourceGraph, "/data", spans)))
        }
    }
}

struct Ctx<'a, 'scope> {
    source: &'scope Source,
    scope: &'a rayon::Scope<'scope>,
    /// Staged batches with their index in the array.
    batches: &'scope Mutex<Vec<(usize, Vec<Staged>)>>,
    pending: &'scope AtomicUsize,
    /// An element is not a resource: the file is not a resource list (nothing staged is used).
    not_resource: &'scope AtomicBool,
    /// An element's text did not parse as a `Value` (a number out of range, nesting too deep): the file is
    /// read whole, so that the error is the whole-document reading's.
    unparsed: &'scope AtomicBool,
}

impl<'scope> Ctx<'_, 'scope> {
    fn flush(&self, index: usize, batch: Vec<(String, &'scope RawValue)>) {
        let (source, batches, pending) = (self.source, self.batches, self.pending);
        let (not_resource, unparsed) = (self.not_resource, self.unparsed);
        let stage = move || {
            let mut staged = Vec::with_capacity(batch.len());
            for (pointer, raw) in batch {
                if not_resource.load(Ordering::Relaxed) || unparsed.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(value) = serde_json::from_str::<Value>(raw.get()) else {
                    return unparsed.store(true, Ordering::Relaxed);
                };
                if !is_resource(&value) {
                    return not_resource.store(true, Ordering::Relaxed);
                }
                staged.extend(resources::stage(source, 0, pointer, &value));
            }
            batches
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((index, staged));
        };
        if pending.load(Ordering::Acquire) >= IN_FLIGHT {
            return stage();
        }
        pending.fetch_add(1, Ordering::AcqRel);
        self.scope.spawn(move |_| {
            stage();
            pending.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

/// The document: a top-level array, or an object with every member parsed but `data` (streamed, when it is
/// an array), with the byte spans of the streamed elements. Whether every element was a resource is the
/// context's `not_resource`.
enum Top {
    List(Vec<Range<usize>>),
    Object(Map<String, Value>, Option<Vec<Range<usize>>>),
}

struct TopSeed<'c, 'a, 'scope>(&'c Ctx<'a, 'scope>);

impl<'scope> DeserializeSeed<'scope> for TopSeed<'_, '_, 'scope> {
    type Value = Top;

    fn deserialize<D: Deserializer<'scope>>(self, d: D) -> Result<Top, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'scope> Visitor<'scope> for TopSeed<'_, '_, 'scope> {
    type Value = Top;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array or object")
    }

    fn visit_seq<A: SeqAccess<'scope>>(self, seq: A) -> Result<Top, A::Error> {
        List { ctx: self.0, base: "" }.visit_seq(seq).map(Top::List)
    }

    fn visit_map<A: MapAccess<'scope>>(self, mut map: A) -> Result<Top, A::Error> {
        let (mut obj, mut data) = (Map::new(), None);
        while let Some(key) = map.next_key::<String>()? {
            if key != "data" {
                obj.insert(key, map.next_value()?);
            } else if data.is_none() {
                data = Some(map.next_value_seed(List {
                    ctx: self.0,
                    base: "/data",
                })?);
            } else {
                return Err(de::Error::custom("a second \"data\": read the file whole"));
            }
        }
        Ok(Top::Object(obj, data))
    }
}

/// The elements of an array: their text found in order, handed to the other cores in batches; the value
/// is where each element is in the text.
struct List<'c, 'a, 'scope> {
    ctx: &'c Ctx<'a, 'scope>,
    base: &'static str,
}

impl<'scope> DeserializeSeed<'scope> for List<'_, '_, 'scope> {
    type Value = Vec<Range<usize>>;

    fn deserialize<D: Deserializer<'scope>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'scope> Visitor<'scope> for List<'_, '_, 'scope> {
    type Value = Vec<Range<usize>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of resources")
    }

    fn visit_seq<A: SeqAccess<'scope>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let (mut index, mut batch, mut batches) = (0, Vec::new(), 0);
        let mut spans = Vec::new();
        let text = self.ctx.source.text.as_ptr() as usize;
        while let Some(raw) = seq.next_element::<&RawValue>()? {
            let start = raw.get().as_ptr() as usize - text;
            spans.push(start..start + raw.get().len());
            // Once an element is not a resource nothing is staged, but the rest is still checked as JSON.
            if !self.ctx.not_resource.load(Ordering::Relaxed) {
                batch.push((format!("{}/{index}", self.base), raw));
                if batch.len() == BATCH {
                    self.ctx.flush(batches, std::mem::take(&mut batch));
                    batches += 1;
                }
            }
            index += 1;
        }
        if !batch.is_empty() {
            self.ctx.flush(batches, batch);
        }
        Ok(spans)
    }
}
