//! A resource list (a top-level array) or a Resource Graph result (its `data` array) read element by
//! element: each element is parsed, then staged in batches on the other cores while the parse goes on, and
//! dropped there, so that no tree of the whole file ever exists. Any other document is parsed whole, as
//! before. Whenever the stream cannot decide as the whole-document reading would (malformed JSON, a `data`
//! array in an object that is not a Resource Graph result), it gives up and the file is read whole: errors
//! and recognition stay exactly those of `serde_json::from_str::<Value>` and [`super::recognise`].

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::{arm_template, has_graph_keys, is_resource, resources, template, Family, Staged};
use crate::ingest::terraform::is_terraform;
use crate::source::Source;

/// Elements staged by one task: enough to be worth a task, few enough to keep little parsed at once.
const BATCH: usize = 64;
/// Batches waiting for a core at most; beyond that, the parsing thread stages its batch itself.
const IN_FLIGHT: usize = 4;

/// What streaming a file gave.
pub enum Streamed {
    /// A top-level array or a Resource Graph result, staged; `None` when an element is not a resource
    /// (not a recognised input).
    Staged(Option<(Family, Vec<Staged>)>),
    /// Any other document, parsed whole.
    Document(Value),
}

/// `None`: read the file whole (malformed JSON, or a shape only the whole document tells).
pub fn read(source: &Source) -> Option<Streamed> {
    let batches = Mutex::new(Vec::new());
    let pending = AtomicUsize::new(0);
    let top = rayon::scope(|scope| {
        let ctx = Ctx {
            source,
            scope,
            batches: &batches,
            pending: &pending,
        };
        let mut de = serde_json::Deserializer::from_str(&source.text);
        let top = TopSeed(&ctx).deserialize(&mut de).ok()?;
        de.end().ok().map(|()| top)
    })?;
    let mut batches = batches.into_inner().unwrap_or_else(PoisonError::into_inner);
    batches.sort_unstable_by_key(|(index, _)| *index);
    let staged = batches.into_iter().flat_map(|(_, staged)| staged).collect();
    match top {
        Top::List(all) => Some(Streamed::Staged(all.then_some((Family::ResourceList, staged)))),
        Top::Object(obj, None) => Some(Streamed::Document(Value::Object(obj))),
        Top::Object(obj, Some(all)) => {
            // What `recognise` asks before the Resource Graph shape; none of it reads `data`.
            let graph = has_graph_keys(&obj) && {
                let rest = Value::Object(obj);
                !template::is_parameter_file(&rest) && !arm_template::is_template(&rest) && !is_terraform(&rest)
            };
            graph.then(|| Streamed::Staged(all.then_some((Family::ResourceGraph, staged))))
        }
    }
}

struct Ctx<'a, 'scope> {
    source: &'scope Source,
    scope: &'a rayon::Scope<'scope>,
    /// Staged batches with their index in the array.
    batches: &'scope Mutex<Vec<(usize, Vec<Staged>)>>,
    pending: &'scope AtomicUsize,
}

impl Ctx<'_, '_> {
    fn flush(&self, index: usize, batch: Vec<(String, Value)>) {
        let (source, batches, pending) = (self.source, self.batches, self.pending);
        let stage = move || {
            let staged = batch
                .into_iter()
                .filter_map(|(pointer, value)| resources::stage(source, 0, pointer, &value))
                .collect();
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

/// The document: a top-level array (whether every element is a resource), or an object with its `data`
/// array streamed (whether every element is a resource) and every other member parsed.
enum Top {
    List(bool),
    Object(Map<String, Value>, Option<bool>),
}

struct TopSeed<'c, 'a, 'scope>(&'c Ctx<'a, 'scope>);

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_, '_> {
    type Value = Top;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Top, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_, '_> {
    type Value = Top;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array or object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Top, A::Error> {
        Elements { ctx: self.0, base: "" }.visit_seq(seq).map(Top::List)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top, A::Error> {
        let (mut obj, mut data) = (Map::new(), None);
        while let Some(key) = map.next_key::<String>()? {
            if key != "data" {
                obj.insert(key, map.next_value()?);
            } else if data.is_none() {
                data = Some(map.next_value_seed(Elements {
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

/// The elements of an array, staged in batches while every element so far is a resource.
struct Elements<'c, 'a, 'scope> {
    ctx: &'c Ctx<'a, 'scope>,
    base: &'static str,
}

impl<'de> DeserializeSeed<'de> for Elements<'_, '_, '_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Elements<'_, '_, '_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of resources")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let (mut all, mut index, mut batch) = (true, 0, Vec::new());
        let mut batches = 0;
        while let Some(value) = seq.next_element::<Value>()? {
            all = all && is_resource(&value);
            if all {
                batch.push((format!("{}/{index}", self.base), value));
                if batch.len() == BATCH {
                    self.ctx.flush(batches, std::mem::take(&mut batch));
                    batches += 1;
                }
            }
            index += 1;
        }
        if all && !batch.is_empty() {
            self.ctx.flush(batches, batch);
        }
        Ok(all)
    }
}
