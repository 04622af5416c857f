//! Content-based recognition of Azure inventory JSON: az CLI lists (flattened or with `properties`),
//! `az resource show` objects, Azure Resource Graph results (`data` wrapper or a bare array) and exported
//! ARM templates (with the expression evaluator). The resources are moved out of the parsed document and
//! read into the model's typed items (`resources`, `stage`).

pub mod arm_expr;
pub mod arm_template;
mod lb;
pub(crate) mod node;
pub(crate) mod os;
pub(crate) mod parse;
pub(crate) mod resources;
pub(crate) mod stage;
pub mod stream;
pub mod template;
mod whatif;

use rayon::prelude::*;
use serde_json::Value;

use crate::error::InputError;
use crate::source::{Source, SourceId};

pub use stage::Staged;

/// The resources of `source` (ID `local` in the file that was read) as staged items, in order, read on
/// every core; each parsed resource is dropped once read.
pub fn stage(source: &Source, local: SourceId, resources: Resources) -> Vec<Staged> {
    resources
        .into_par_iter()
        .filter_map(|(pointer, value)| resources::stage(source, local, pointer, &value))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// A JSON array of resources: `az ... list`, `az resource list`, Search-AzGraph, older `az graph query`.
    ResourceList,
    /// One resource: `az resource show`, `az network nsg show`, an ARM REST GET.
    Resource,
    /// `az graph query -o json`: `{"count", "data": [...], "skip_token", "total_records"}`.
    ResourceGraph,
    /// `az group export` / portal "Export template".
    ArmTemplate,
    /// `az deployment ... what-if --no-pretty-print -o json`, or the REST `Deployments_WhatIf` response.
    WhatIf,
    /// `terraform show -json tfplan`.
    TerraformPlan,
    /// `terraform show -json` of a state.
    TerraformState,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::ResourceList => "resource-list",
            Family::Resource => "resource",
            Family::ResourceGraph => "resource-graph",
            Family::ArmTemplate => "arm-template",
            Family::WhatIf => "arm-what-if",
            Family::TerraformPlan => "terraform-plan",
            Family::TerraformState => "terraform-state",
        }
    }
}

/// Resource objects with their JSON pointers.
pub type Resources = Vec<(String, Value)>;

/// What a recognised input declares.
pub struct Recognised {
    pub family: Family,
    pub resources: Resources,
    /// Templates linked by `templateLink.relativePath`, each its own source.
    pub linked: Vec<(Source, Resources)>,
    pub warnings: Vec<String>,
}

impl Recognised {
    fn plain(family: Family, resources: Resources) -> Option<Self> {
        Some(Self {
            family,
            resources,
            linked: Vec::new(),
            warnings: Vec::new(),
        })
    }
}

/// `Ok(None)`: not an input rdsaudit knows. Errors: a recognised input that cannot be used. `parameters`
/// are the `--parameters` files, applied to templates; `side` is the state a what-if is read in.
pub fn recognise(
    value: Value,
    source: &Source,
    parameters: &[template::Parameters],
    side: crate::ingest::Side,
) -> Result<Option<Recognised>, InputError> {
    if arm_template::is_template(&value) {
        let read = template::read(&value, source, parameters)?;
        return Ok(Some(Recognised {
            family: Family::ArmTemplate,
            resources: read.resources,
            linked: read.linked,
            warnings: read.warnings,
        }));
    }
    if let Some(pointer) = whatif::changes_pointer(&value) {
        let resources = whatif::read(value, source, &pointer, side)?;
        return Ok(Recognised::plain(Family::WhatIf, resources));
    }
    match value {
        Value::Array(items) if items.iter().all(is_resource) => {
            Ok(Recognised::plain(Family::ResourceList, enumerate("", items)))
        }
        Value::Object(mut obj) if is_graph_result(&obj) => match obj.remove("data") {
            Some(Value::Array(items)) if items.iter().all(is_resource) => {
                Ok(Recognised::plain(Family::ResourceGraph, enumerate("/data", items)))
            }
            _ => Ok(None),
        },
        v if is_resource(&v) => Ok(Recognised::plain(Family::Resource, vec![(String::new(), v)])),
        _ => Ok(None),
    }
}

fn enumerate(base: &str, items: Vec<Value>) -> Resources {
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| (format!("{base}/{i}"), v))
        .collect()
}

/// An ARM resource object: an `id` under a resource provider.
fn is_resource(v: &Value) -> bool {
    v.get("id")
        .and_then(Value::as_str)
        .is_some_and(|id| id.to_ascii_lowercase().contains("/providers/"))
}

fn is_graph_result(obj: &serde_json::Map<String, Value>) -> bool {
    obj.get("data").is_some_and(Value::is_array) && has_graph_keys(obj)
}

/// The members beside `data` that say an object is a Resource Graph result.
fn has_graph_keys(obj: &serde_json::Map<String, Value>) -> bool {
    ["count", "total_records", "skip_token", "totalRecords"]
        .iter()
        .any(|k| obj.contains_key(*k))
}
