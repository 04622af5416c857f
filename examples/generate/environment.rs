//! The input families: the generated resources (`resources.rs`) reshaped as az CLI lists (flattened), one
//! Resource Graph result or one exported template, and host evidence folders. Written element by element, so
//! that 50,000 stacks never sit in memory; keys sorted and 2-space indents, as az prints them.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde_json::{json, Map, Value};

use crate::resources::{computer_name, count, id, resources};

pub const SUBSCRIPTION: &str = "3f2c9a1e-5b7d-4e8a-9c61-2d4f8b7a1e90";
pub const GROUP: &str = "rg-bench";
const TENANT: &str = "8d1c4f2a-6b3e-4a97-b5d0-1e7f9c2a4b63";

/// The az list each resource type goes to.
const AZ_FILES: [(&str, &str); 8] = [
    ("Microsoft.Network/networkSecurityGroups", "nsgs.json"),
    ("Microsoft.Network/networkInterfaces", "nics.json"),
    ("Microsoft.Network/publicIPAddresses", "public-ips.json"),
    ("Microsoft.Network/virtualNetworks", "vnets.json"),
    ("Microsoft.Network/bastionHosts", "bastions.json"),
    ("Microsoft.Network/loadBalancers", "lbs.json"),
    ("Microsoft.Compute/virtualMachines", "vms.json"),
    ("Microsoft.AAD/DomainServices", "aadds.json"),
];

/// What an exported template leaves out: read-only values and back-references.
const READ_ONLY: [&str; 10] = [
    "etag",
    "provisioningState",
    "resourceGuid",
    "defaultSecurityRules",
    "ipConfiguration",
    "virtualMachine",
    "backendIPConfiguration",
    "macAddress",
    "vmId",
    "timeCreated",
];

#[derive(Clone, Copy)]
pub enum Family {
    AzCli,
    ResourceGraph,
    ArmTemplate,
    Hosts,
}

impl Family {
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "az-cli" => Self::AzCli,
            "resource-graph" => Self::ResourceGraph,
            "arm-template" => Self::ArmTemplate,
            "hosts" => Self::Hosts,
            _ => return None,
        })
    }
}

/// Writes the environment of `stacks` stacks into the folder `out` (created).
pub fn write(family: Family, stacks: usize, out: &Path) -> io::Result<()> {
    fs::create_dir_all(out)?;
    match family {
        Family::AzCli => az_cli(stacks, out),
        Family::ResourceGraph => resource_graph(stacks, out),
        Family::ArmTemplate => arm_template(stacks, out),
        Family::Hosts => hosts(stacks, out),
    }
}

fn az_cli(stacks: usize, out: &Path) -> io::Result<()> {
    let mut lists = AZ_FILES
        .iter()
        .map(|(_, file)| JsonArray::create(&out.join(file), "[", 2))
        .collect::<io::Result<Vec<_>>>()?;
    for mut resource in resources(stacks) {
        let list = AZ_FILES
            .iter()
            .position(|(t, _)| resource["type"] == *t)
            .expect("a listed type");
        flatten(&mut resource);
        lists[list].push(resource)?;
    }
    lists.into_iter().try_for_each(|l| l.finish("]\n"))
}

fn resource_graph(stacks: usize, out: &Path) -> io::Result<()> {
    let rows = count(stacks);
    let mut data = JsonArray::create(
        &out.join("graph.json"),
        &format!("{{\n  \"count\": {rows},\n  \"data\": ["),
        4,
    )?;
    for resource in resources(stacks) {
        data.push(graph_row(resource))?;
    }
    assert_eq!(data.written, rows, "the count written first");
    data.finish(&format!(
        "  ],\n  \"skip_token\": null,\n  \"total_records\": {rows}\n}}\n"
    ))
}

fn arm_template(stacks: usize, out: &Path) -> io::Result<()> {
    let mut parameters = BTreeMap::new();
    resources(stacks).for_each(|r| drop(template_resource(r, &mut parameters)));
    let parameters: Map<String, Value> = parameters
        .into_iter()
        .map(|(p, name)| (p, json!({"defaultValue": name, "type": "String"})))
        .collect();
    let head = json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": parameters,
    });
    let head = serde_json::to_string_pretty(&head)?;
    let head = format!("{},\n  \"resources\": [", head.trim_end_matches("\n}"));
    let mut list = JsonArray::create(&out.join("template.json"), &head, 4)?;
    let mut unused = BTreeMap::new();
    for resource in resources(stacks) {
        list.push(template_resource(resource, &mut unused))?;
    }
    list.finish("  ],\n  \"variables\": {}\n}\n")
}

/// One evidence folder per VM (`VM00000`, ...): every tenth a gateway with NPS (from the sample's `RDGVM01`),
/// the others session hosts (`RDSHVM01`), the sample's files with the computer name replaced.
fn hosts(stacks: usize, out: &Path) -> io::Result<()> {
    let (gateway, session_host) = (sample_host("RDGVM01")?, sample_host("RDSHVM01")?);
    for i in 0..stacks {
        let (host, files) = if i % 10 == 0 {
            ("RDGVM01", &gateway)
        } else {
            ("RDSHVM01", &session_host)
        };
        let dir = out.join(computer_name(i));
        fs::create_dir_all(&dir)?;
        for (file, bytes) in files {
            fs::write(dir.join(file), renamed(bytes, host, &computer_name(i)))?;
        }
    }
    Ok(())
}

/// The files of the sample's evidence folder `host`, by name.
fn sample_host(host: &str) -> io::Result<BTreeMap<String, Vec<u8>>> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/environments/contoso/hosts")
        .join(host);
    fs::read_dir(folder)?
        .map(|e| e.and_then(|e| Ok((e.file_name().to_string_lossy().into_owned(), fs::read(e.path())?))))
        .collect()
}

/// `bytes` (UTF-8, or UTF-16 LE with a BOM as Windows PowerShell writes) with `from` replaced by `to`.
fn renamed(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    if !bytes.starts_with(&[0xFF, 0xFE]) {
        return String::from_utf8_lossy(bytes).replace(from, to).into_bytes();
    }
    // The scanner's own decoder; the sample's evidence is valid UTF-16.
    let text = rdsaudit::source::decode(bytes).expect("the sample's UTF-16 evidence decodes");
    [0xFF, 0xFE]
        .into_iter()
        .chain(text.replace(from, to).encode_utf16().flat_map(u16::to_le_bytes))
        .collect()
}

/// The az CLI shape: every `properties` wrapper merged into its object, and a `resourceGroup` next to every ID.
fn flatten(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.remove("properties") {
                map.extend(properties);
            }
            if map.contains_key("id") {
                map.insert("resourceGroup".into(), json!(GROUP));
            }
            map.values_mut().for_each(flatten);
        }
        Value::Array(items) => items.iter_mut().for_each(flatten),
        _ => {}
    }
}

/// A Resource Graph row: the resource with Graph's columns and its type in lower case.
fn graph_row(resource: Value) -> Value {
    let Value::Object(mut row) = resource else {
        unreachable!("resources are objects")
    };
    row.remove("etag");
    let kind = row["type"].as_str().expect("a type").to_lowercase();
    let columns = json!({
        "extendedLocation": null, "identity": null, "kind": row.get("kind").cloned().unwrap_or(json!("")),
        "managedBy": "", "plan": null, "resourceGroup": GROUP, "sku": row.get("sku").cloned().unwrap_or(Value::Null),
        "subscriptionId": SUBSCRIPTION, "tenantId": TENANT, "type": kind, "zones": null,
    });
    row.extend(columns.as_object().expect("an object").clone());
    Value::Object(row)
}

/// The template resource `az group export` writes: named by a parameter (recorded in `parameters`), every
/// ID an expression (`[resourceId(...)]`), the resources it references in `dependsOn`, read-only values out.
fn template_resource(resource: Value, parameters: &mut BTreeMap<String, String>) -> Value {
    let Value::Object(mut r) = resource else {
        unreachable!("resources are objects")
    };
    let own = r
        .remove("id")
        .and_then(|id| id.as_str().map(expression))
        .expect("an id");
    parameters.insert(own.parameter.clone(), own.name.clone());
    let mut depends_on = std::collections::BTreeSet::new();
    let mut properties = r.remove("properties").expect("properties");
    templated(&mut properties, &own.resource_id, &mut depends_on);
    r.insert(
        "apiVersion".into(),
        json!(if own.resource_id.contains("Compute") {
            "2024-03-01"
        } else {
            "2024-01-01"
        }),
    );
    r.insert("dependsOn".into(), json!(depends_on));
    r.insert("name".into(), json!(format!("[parameters('{}')]", own.parameter)));
    r.insert("properties".into(), properties);
    r.remove("etag");
    Value::Object(r)
}

fn templated(value: &mut Value, own: &str, depends_on: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            map.retain(|k, _| !READ_ONLY.contains(&k.as_str()));
            map.values_mut().for_each(|v| templated(v, own, depends_on));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| templated(v, own, depends_on)),
        Value::String(s) if s.starts_with(&id("")) => {
            let e = expression(s);
            if e.resource_id != own {
                depends_on.insert(e.resource_id.clone());
            }
            *s = e.full;
        }
        _ => {}
    }
}

/// An ID as template expressions: `full` for the ID itself, `resource_id` for its top-level resource.
struct Expression {
    parameter: String,
    name: String,
    full: String,
    resource_id: String,
}

fn expression(id_text: &str) -> Expression {
    let path = id_text.strip_prefix(&id("")).expect("an ID of the group");
    let segments: Vec<&str> = path.split('/').collect();
    let (namespace, kind, name) = (segments[0], segments[1], segments[2]);
    let parameter = format!(
        "{kind}_{}_name",
        name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    );
    let children: Vec<&str> = segments[3..].chunks(2).map(|c| c[0]).collect();
    let names: String = segments[3..].chunks(2).map(|c| format!(", '{}'", c[1])).collect();
    let resource_id = format!("[resourceId('{namespace}/{kind}', parameters('{parameter}'))]");
    let child_type: String = children.iter().map(|c| format!("/{c}")).collect();
    let full = format!("[resourceId('{namespace}/{kind}{child_type}', parameters('{parameter}'){names})]");
    Expression {
        parameter,
        name: name.into(),
        full,
        resource_id,
    }
}

/// A JSON array written one element at a time, each element pretty-printed at `indent` spaces.
struct JsonArray {
    out: BufWriter<File>,
    indent: String,
    written: usize,
}

impl JsonArray {
    fn create(path: &Path, opening: &str, indent: usize) -> io::Result<Self> {
        let mut out = BufWriter::new(File::create(path)?);
        out.write_all(opening.as_bytes())?;
        let indent = " ".repeat(indent);
        Ok(Self {
            out,
            indent,
            written: 0,
        })
    }

    fn push(&mut self, mut element: Value) -> io::Result<()> {
        element.sort_all_objects();
        let text = serde_json::to_string_pretty(&element)?;
        self.out.write_all(if self.written == 0 { b"\n" } else { b",\n" })?;
        for (i, line) in text.lines().enumerate() {
            let newline = if i == 0 { "" } else { "\n" };
            write!(self.out, "{newline}{}{line}", self.indent)?;
        }
        self.written += 1;
        Ok(())
    }

    /// Closes the array; `closing` starts with the bracket, indented like the opening line.
    fn finish(mut self, closing: &str) -> io::Result<()> {
        self.out.write_all(if self.written == 0 { b"" } else { b"\n" })?;
        self.out.write_all(closing.as_bytes())?;
        self.out.flush()
    }
}
