//! ARM templates as written by hand (Azure/RDS-Templates under `fixtures/templates/`, copied unmodified):
//! what the scan reads from each and reports, as one snapshot per template; and the template features the
//! evaluator must get right end to end (symbolic names that still join, parameter files, secure values,
//! malformed expressions, linked templates, Bicep), through the library and the binary.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::str::contains;
use rdsaudit::config::Config;
use rdsaudit::engine::{evaluate, Evaluation};
use rdsaudit::ingest::{load, Options};
use rdsaudit::model::Environment;
use rdsaudit::source::display_path;

mod support;

fn templates() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/templates")
}

fn scan_with(paths: &[PathBuf], parameters: &[PathBuf]) -> (Environment, Evaluation) {
    let opts = Options {
        parameters: parameters.to_vec(),
        ..Options::default()
    };
    let mut env = load(paths, &opts).unwrap_or_else(|e| panic!("{paths:?}: {e}"));
    let eval = evaluate(&mut env, &Config::default(), "2026-01-01");
    (env, eval)
}

/// What the scan read from a folder (the resources the rules see) and what it reported, as reviewable text.
fn report(dir: &Path) -> String {
    let (env, eval) = scan_with(&[dir.to_path_buf()], &[]);
    let root = display_path(dir);
    let mut out = String::new();
    let metas = env
        .nsgs
        .values()
        .map(|r| ("nsg", &r.meta))
        .chain(env.vnets.values().map(|r| ("vnet", &r.meta)));
    let metas = metas
        .chain(env.nics.values().map(|r| ("nic", &r.meta)))
        .chain(env.public_ips.values().map(|r| ("public ip", &r.meta)))
        .chain(env.load_balancers.values().map(|r| ("load balancer", &r.meta)))
        .chain(env.vms.values().map(|r| ("vm", &r.meta)));
    for (kind, meta) in metas {
        let _ = writeln!(out, "{kind} {}", meta.id);
    }
    out.push_str(&support::outcomes(&env, &eval, &root, |_| true));
    for w in env.warnings.iter().chain(&eval.warnings) {
        let _ = writeln!(out, "warning: {}", w.replace(&root, "."));
    }
    out
}

#[test]
fn real_templates() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(templates())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 3, "expected the template fixtures, found {dirs:?}");
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        insta::assert_snapshot!(name, report(&dir));
    }
}

/// The issue's headline: Microsoft's RDS farm template allows every port from `*` and must not pass.
#[test]
fn rds_farm_template_fires_rds001_on_rule1() {
    let (env, eval) = scan_with(&[templates().join("rds-deployment")], &[]);
    assert!(env
        .nsgs
        .keys()
        .any(|k| k.as_str().ends_with("/networksecuritygroups/rdsnsg")));
    let rule1 = eval.findings.iter().find(|f| {
        f.rule.id == "RDS001"
            && f.subject
                .id
                .ends_with("/networkSecurityGroups/rdsNsg/securityRules/rule1")
    });
    assert!(
        rule1.is_some(),
        "{:?}",
        eval.findings.iter().map(|f| &f.subject.id).collect::<Vec<_>>()
    );
    // Two RDSH NICs and VMs from the copy loop, with the count from the parameter file beside the template.
    let rdsh = env
        .vms
        .keys()
        .filter(|k| k.as_str().contains("/virtualmachines/rdsh-"))
        .count();
    assert_eq!(rdsh, 2);
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const SCHEMA: &str = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";
const PARAMS_SCHEMA: &str = "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#";

/// A Windows VM with a Basic public IP on a NIC (in a subnet without NSG) whose NSG allows `rdpSource` on
/// `rdpPort`; the NSG's name is the parameter `nsgName`, which has no value, and the NIC refers to it
/// through `resourceId()`. RDS002 (public IP on a VM) always fires: gates below use `--fail-on none`.
fn symbolic_vm_template(extra_nsg_property: &str) -> String {
    format!(
        r#"{{
  "$schema": "{SCHEMA}",
  "contentVersion": "1.0.0.0",
  "parameters": {{
    "nsgName": {{ "type": "string" }},
    "rdpSource": {{ "type": "string", "defaultValue": "10.0.0.0/8" }},
    "rdpPort": {{ "type": "string", "defaultValue": "3389" }},
    "adminPassword": {{ "type": "securestring" }}
  }},
  "resources": [
    {{
      "type": "Microsoft.Network/networkSecurityGroups",
      "apiVersion": "2023-04-01",
      "name": "[parameters('nsgName')]",
      "location": "[resourceGroup().location]",
      "properties": {{
        {extra_nsg_property}
        "securityRules": [
          {{
            "name": "rdp",
            "properties": {{
              "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "[parameters('rdpPort')]",
              "sourceAddressPrefix": "[parameters('rdpSource')]", "destinationAddressPrefix": "*",
              "access": "Allow", "priority": 100, "direction": "Inbound"
            }}
          }}
        ]
      }}
    }},
    {{
      "type": "Microsoft.Network/virtualNetworks",
      "apiVersion": "2023-04-01",
      "name": "vnet1",
      "properties": {{
        "addressSpace": {{ "addressPrefixes": [ "10.0.0.0/16" ] }},
        "subnets": [ {{ "name": "default", "properties": {{ "addressPrefix": "10.0.0.0/24" }} }} ]
      }}
    }},
    {{
      "type": "Microsoft.Network/publicIPAddresses",
      "apiVersion": "2023-04-01",
      "name": "[concat('pip-', uniqueString(resourceGroup().id))]",
      "sku": {{ "name": "Basic" }},
      "properties": {{ "publicIPAllocationMethod": "Dynamic" }}
    }},
    {{
      "type": "Microsoft.Network/networkInterfaces",
      "apiVersion": "2023-04-01",
      "name": "nic-vm1",
      "properties": {{
        "networkSecurityGroup": {{ "id": "[resourceId('Microsoft.Network/networkSecurityGroups', parameters('nsgName'))]" }},
        "ipConfigurations": [
          {{
            "name": "ipconfig1",
            "properties": {{
              "privateIPAllocationMethod": "Dynamic",
              "publicIPAddress": {{ "id": "[resourceId('Microsoft.Network/publicIPAddresses', concat('pip-', uniqueString(resourceGroup().id)))]" }},
              "subnet": {{ "id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet1', 'default')]" }}
            }}
          }}
        ]
      }}
    }},
    {{
      "type": "Microsoft.Compute/virtualMachines",
      "apiVersion": "2023-03-01",
      "name": "vm1",
      "properties": {{
        "storageProfile": {{ "imageReference": {{ "publisher": "MicrosoftWindowsServer", "offer": "WindowsServer", "sku": "2022-datacenter", "version": "latest" }} }},
        "osProfile": {{ "computerName": "vm1", "adminUsername": "azureuser", "adminPassword": "[parameters('adminPassword')]" }},
        "networkProfile": {{ "networkInterfaces": [ {{ "id": "[resourceId('Microsoft.Network/networkInterfaces', 'nic-vm1')]" }} ] }}
      }}
    }}
  ]
}}
"#
    )
}

fn parameter_file(values: &[(&str, &str)]) -> String {
    let entries: Vec<String> = values
        .iter()
        .map(|(k, v)| format!("    \"{k}\": {{ \"value\": \"{v}\" }}"))
        .collect();
    format!(
        "{{\n  \"$schema\": \"{PARAMS_SCHEMA}\",\n  \"contentVersion\": \"1.0.0.0\",\n  \"parameters\": {{\n{}\n  }}\n}}\n",
        entries.join(",\n")
    )
}

fn fired(eval: &Evaluation, rule: &str) -> Vec<String> {
    eval.findings
        .iter()
        .filter(|f| f.rule.id == rule)
        .map(|f| f.subject.id.clone())
        .collect()
}

#[test]
fn symbolic_names_still_join_nic_to_nsg() {
    let dir = tempfile::tempdir().unwrap();
    let template = write(dir.path(), "vm.json", &symbolic_vm_template(""));
    let params = write(dir.path(), "open.json", &parameter_file(&[("rdpSource", "*")]));
    let (env, eval) = scan_with(&[template], &[params]);
    let nsg = env.nsgs.values().next().expect("the NSG with a symbolic name is kept");
    assert!(
        nsg.meta.id.ends_with("/networkSecurityGroups/{parameters('nsgName')}"),
        "{}",
        nsg.meta.id
    );
    assert_eq!(
        fired(&eval, "RDS003"),
        [env.vms.values().next().unwrap().meta.id.clone()]
    );
    assert_eq!(fired(&eval, "RDS001").len(), 1);
}

#[test]
fn parameter_files_win_over_defaults_and_later_files_win() {
    let dir = tempfile::tempdir().unwrap();
    let template = write(dir.path(), "vm.json", &symbolic_vm_template(""));
    // Without values the default source is private: nothing open.
    let (_, eval) = scan_with(std::slice::from_ref(&template), &[]);
    assert!(fired(&eval, "RDS001").is_empty());
    // `vm.parameters.json` beside `vm.json` applies by itself.
    write(dir.path(), "vm.parameters.json", &parameter_file(&[("rdpSource", "*")]));
    let (_, eval) = scan_with(std::slice::from_ref(&template), &[]);
    assert_eq!(fired(&eval, "RDS001").len(), 1);
    // `--parameters` files come after it, and the last one wins.
    let open = write(dir.path(), "a.json", &parameter_file(&[("rdpSource", "Internet")]));
    let closed = write(dir.path(), "b.json", &parameter_file(&[("rdpSource", "10.1.0.0/16")]));
    let (_, eval) = scan_with(std::slice::from_ref(&template), &[open.clone(), closed.clone()]);
    assert!(fired(&eval, "RDS001").is_empty());
    let (_, eval) = scan_with(&[template], &[closed, open]);
    assert_eq!(fired(&eval, "RDS001").len(), 1);
}

fn rdsaudit() -> Command {
    let mut c = Command::cargo_bin("rdsaudit").unwrap();
    c.env_remove("NO_COLOR").env("RAYON_NUM_THREADS", "2");
    c
}

#[test]
fn secure_parameter_values_never_reach_any_output() {
    const CANARY: &str = "Canary-Secret-7f3a9";
    let dir = tempfile::tempdir().unwrap();
    // The secure value flows into a field the scan prints when it is malformed: the port.
    let template = symbolic_vm_template("").replace(
        r#""rdpPort": { "type": "string", "defaultValue": "3389" }"#,
        r#""rdpPort": { "type": "securestring", "defaultValue": "3389" }"#,
    );
    let template = write(dir.path(), "vm.json", &template);
    let secrets = [("adminPassword", CANARY), ("rdpPort", CANARY), ("rdpSource", "*")];
    write(dir.path(), "vm.parameters.json", &parameter_file(&secrets));
    let extra = write(dir.path(), "extra.json", &parameter_file(&secrets));
    for format in ["table", "json", "sarif"] {
        let out = rdsaudit()
            .args(["scan", "--format", format, "--parameters"])
            .arg(&extra)
            .arg(&template)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.code() == Some(1), "{format}: {text}");
        assert!(!text.contains(CANARY), "{format} printed the secret: {text}");
        assert!(
            text.contains("{parameters('rdpPort')}"),
            "{format}: the port is named, not valued: {text}"
        );
    }
}

#[test]
fn malformed_expressions_fail_only_where_the_rules_read() {
    let dir = tempfile::tempdir().unwrap();
    let placeholder = r#""tags": "[Application_Insights_Key]","#;
    let ok = write(
        dir.path(),
        "ok.json",
        &symbolic_vm_template("").replace(r#""location": "[resourceGroup().location]","#, placeholder),
    );
    rdsaudit().args(["scan", "--fail-on", "none"]).arg(&ok).assert().code(0);
    let bad = symbolic_vm_template("").replace("[parameters('rdpPort')]", "[concat('33', '89']");
    let bad = write(dir.path(), "bad.json", &bad);
    rdsaudit()
        .arg("scan")
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(contains("bad.json:22:58: invalid template expression at offset 18"))
        .stderr(contains("invalid template expression"));
}

#[test]
fn a_parameter_file_alone_is_skipped_naming_its_template() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "prod.parameters.json", &parameter_file(&[("x", "y")]));
    write(dir.path(), "vm.json", &symbolic_vm_template(""));
    rdsaudit()
        .args(["scan", "--fail-on", "none"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(contains(
            "prod.parameters.json: skipped: deployment parameters for prod.json",
        ));
}

#[test]
fn linked_templates_are_read_when_present_and_reported_when_not() {
    let dir = tempfile::tempdir().unwrap();
    let nested = |link: &str| {
        format!(
            r#"{{
  "$schema": "{SCHEMA}",
  "resources": [
    {{
      "type": "Microsoft.Resources/deployments",
      "apiVersion": "2022-09-01",
      "name": "nsgs",
      "properties": {{
        "mode": "Incremental",
        "templateLink": {link},
        "parameters": {{ "nsgName": {{ "value": "nsg-linked" }}, "rdpSource": {{ "value": "*" }} }}
      }}
    }}
  ]
}}
"#
        )
    };
    std::fs::create_dir(dir.path().join("nested")).unwrap();
    write(&dir.path().join("nested"), "vm.json", &symbolic_vm_template(""));
    let main = write(
        dir.path(),
        "main.json",
        &nested(r#"{ "relativePath": "nested/vm.json" }"#),
    );
    let (env, eval) = scan_with(&[main], &[]);
    assert!(env.nsgs.keys().any(|k| k.as_str().ends_with("/nsg-linked")));
    assert_eq!(fired(&eval, "RDS001").len(), 1);

    let missing = write(
        dir.path(),
        "uri.json",
        &nested(r#"{ "uri": "https://example.invalid/vm.json" }"#),
    );
    rdsaudit()
        .arg("scan")
        .arg(&missing)
        .assert()
        .stderr(contains("uri.json:4:5: nested deployment not evaluated"))
        .stderr(contains(
            "nested deployment not evaluated: linked template https://example.invalid/vm.json",
        ));
}

#[test]
fn bicep_gets_the_command_that_compiles_it() {
    let dir = tempfile::tempdir().unwrap();
    let bicep = write(
        dir.path(),
        "main.bicep",
        "param location string = resourceGroup().location\n",
    );
    write(dir.path(), "main.bicepparam", "using 'main.bicep'\n");
    write(dir.path(), "vm.json", &symbolic_vm_template(""));
    rdsaudit()
        .arg("scan")
        .arg(&bicep)
        .assert()
        .code(2)
        .stderr(contains("az bicep build --file main.bicep"));
    rdsaudit()
        .args(["scan", "--fail-on", "none"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr(contains("main.bicep: skipped: Bicep is not read directly"))
        .stderr(contains("az bicep build-params --file main.bicepparam"));
}

#[test]
fn a_resource_declared_twice_is_named_at_both_declarations() {
    let dir = tempfile::tempdir().unwrap();
    let nsg = |priority: u32| {
        format!(
            r#"{{ "type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-04-01", "name": "nsg1",
              "properties": {{ "securityRules": [ {{ "name": "r", "properties": {{ "protocol": "Tcp",
              "sourcePortRange": "*", "destinationPortRange": "443", "sourceAddressPrefix": "*",
              "destinationAddressPrefix": "*", "access": "Allow", "priority": {priority}, "direction": "Inbound" }} }} ] }} }}"#
        )
    };
    let text = format!(
        r#"{{ "$schema": "{SCHEMA}", "resources": [ {}, {} ] }}"#,
        nsg(100),
        nsg(200)
    );
    let template = write(dir.path(), "twice.json", &text);
    let (env, _) = scan_with(&[template], &[]);
    let warning = env
        .warnings
        .iter()
        .find(|w| w.contains("defined differently"))
        .expect("a warning");
    let first = warning
        .split(" in ")
        .nth(1)
        .and_then(|w| w.split(" and ").next())
        .unwrap();
    assert!(first.ends_with("twice.json at /resources/0"), "{warning}");
    assert!(
        warning.ends_with(&format!("twice.json at /resources/1; using {first}")),
        "{warning}"
    );
}

/// Every origin a template resource carries points into its own file, also when it is not the first source:
/// an unresolved load-balancer backend port read from the second of two templates is located there.
#[test]
fn unknown_values_of_a_later_file_point_into_that_file() {
    let dir = tempfile::tempdir().unwrap();
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    let first = std::fs::read_to_string(rules.join("RDS001/fires-unknown-condition/template.json")).unwrap();
    let second = std::fs::read_to_string(rules.join("RDS006/unknown-backend-port/template.json")).unwrap();
    write(dir.path(), "a.json", &first);
    write(dir.path(), "b.json", &second);
    let (env, eval) = scan_with(&[dir.path().to_path_buf()], &[]);
    let port = eval
        .not_evaluated
        .iter()
        .find(|n| n.rule.id == "RDS006")
        .expect("RDS006 is not evaluated on the unknown backend port");
    let origin = port.origin.as_ref().expect("located");
    assert!(env.sources[origin.source].display.ends_with("b.json"));
}
