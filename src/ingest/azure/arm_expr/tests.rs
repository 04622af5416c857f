use super::*;
use serde_json::json;

fn template() -> Value {
    json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "parameters": {
            "networkSecurityGroups_nsg_name": {"defaultValue": "nsg1", "type": "String"},
            "vnet": {"defaultValue": "vnet1", "type": "String"},
            "noDefault": {"type": "String"},
            "count": {"defaultValue": 3, "type": "Int"},
            "fromVariable": {"defaultValue": "[variables('prefix')]", "type": "String"},
            "tags": {"defaultValue": {"env": "prod", "n": [1]}, "type": "Object"},
            "exprTags": {"defaultValue": {"env": ["[concat('p', 'rod')]"]}, "type": "Object"},
            "selfRef": {"defaultValue": "[parameters('selfRef')]", "type": "String"},
            "broken": {"defaultValue": "[concat('a']", "type": "String"}
        },
        "variables": {
            "prefix": "rds",
            "subnetId": "[resourceId('Microsoft.Network/virtualNetworks/subnets', parameters('vnet'), 'workloads')]",
            "a": "[variables('b')]",
            "b": "[variables('a')]",
            "literal": "[[not an expression]",
            "list": ["rds", 1],
            "exprList": [1, "[[escaped]"]
        }
    })
}

fn eval(s: &str) -> Evaluated {
    let t = template();
    evaluate(s, &EvalContext::new(&t)).expect("valid syntax")
}

fn value(s: &str) -> Value {
    match eval(s) {
        Evaluated::Value(v) => v,
        Evaluated::Unresolved(r) => panic!("{s} unresolved: {r}"),
    }
}

fn unresolved(s: &str) -> String {
    match eval(s) {
        Evaluated::Unresolved(r) => r,
        Evaluated::Value(v) => panic!("{s} resolved to {v}"),
    }
}

fn syntax_error(s: &str) -> ExprError {
    let t = template();
    evaluate(s, &EvalContext::new(&t)).expect_err("syntax error")
}

#[test]
fn recognises_expressions_and_escapes() {
    assert!(is_expression("[parameters('x')]"));
    assert!(!is_expression("[[parameters('x')]"));
    assert!(!is_expression("plain"));
    assert!(!is_expression("[no closing bracket"));
    assert!(!is_expression("["));
    assert_eq!(value("TCP"), json!("TCP"));
    assert_eq!(value("[[x]"), json!("[x]"));
    assert_eq!(value("[[x"), json!("[[x"));
}

#[test]
fn literals_and_quote_escape() {
    assert_eq!(value("['it''s']"), json!("it's"));
    assert_eq!(value("['']"), json!(""));
    assert_eq!(value("[ 42 ]"), json!(42));
    assert_eq!(value("[-7]"), json!(-7));
    assert_eq!(value("['ünï']"), json!("ünï"));
}

#[test]
fn parameters_use_default_value() {
    assert_eq!(value("[parameters('networkSecurityGroups_nsg_name')]"), json!("nsg1"));
    assert_eq!(value("[parameters('count')]"), json!(3));
    // ARM names and functions are case-insensitive.
    assert_eq!(value("[PARAMETERS('VNET')]"), json!("vnet1"));
    assert_eq!(value("[parameters('fromVariable')]"), json!("rds"));
    assert_eq!(value("[parameters('tags')]"), json!({"env": "prod", "n": [1]}));
    assert!(unresolved("[parameters('exprTags')]").contains("inside array or object"));
}

#[test]
fn missing_parameters_are_unresolved() {
    assert!(unresolved("[parameters('noDefault')]").contains("no defaultValue"));
    assert!(unresolved("[parameters('nope')]").contains("not defined"));
    assert!(unresolved("[parameters(1)]").contains("one string argument"));
    assert!(unresolved("[parameters('broken')]").contains("not valid"));
    let empty = json!({});
    let got = evaluate("[variables('x')]", &EvalContext::new(&empty)).unwrap();
    assert!(matches!(got, Evaluated::Unresolved(r) if r.contains("not defined")));
}

#[test]
fn variables_resolve_recursively() {
    assert_eq!(value("[variables('prefix')]"), json!("rds"));
    assert_eq!(
        value("[variables('subnetId')]"),
        json!("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/workloads")
    );
    assert_eq!(value("[variables('literal')]"), json!("[not an expression]"));
    assert_eq!(value("[variables('list')]"), json!(["rds", 1]));
    assert!(unresolved("[variables('exprList')]").contains("inside array or object"));
}

#[test]
fn cycles_are_unresolved() {
    assert!(unresolved("[variables('a')]").contains("circular"));
    assert!(unresolved("[parameters('selfRef')]").contains("circular"));
}

#[test]
fn long_reference_chains_stop() {
    let mut vars = Map::new();
    for i in 0..100 {
        vars.insert(format!("v{i}"), json!(format!("[variables('v{}')]", i + 1)));
    }
    vars.insert("v100".into(), json!("end"));
    let t = json!({ "variables": vars });
    let ctx = EvalContext::new(&t);
    let got = evaluate("[variables('v0')]", &ctx).unwrap();
    assert!(matches!(got, Evaluated::Unresolved(r) if r.contains("too deeply")));
    let short = evaluate("[variables('v90')]", &ctx).unwrap();
    assert_eq!(short, Evaluated::Value(json!("end")));
}

#[test]
fn concat_joins_strings_only() {
    assert_eq!(
        value("[concat(parameters('networkSecurityGroups_nsg_name'), '/RDP')]"),
        json!("nsg1/RDP")
    );
    assert_eq!(value("[concat('a', concat('b', 'c'))]"), json!("abc"));
    assert!(unresolved("[concat('a', 1)]").contains("non-string"));
    assert!(unresolved("[concat()]").contains("at least one"));
}

#[test]
fn resource_id_interleaves_types_and_names() {
    assert_eq!(
        value("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'sub')]"),
        json!("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/sub")
    );
    assert_eq!(
        value("[resourceId('Microsoft.Network/publicIPAddresses', parameters('vnet'))]"),
        json!("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Network/publicIPAddresses/vnet1")
    );
}

#[test]
fn resource_id_leading_scope_arguments() {
    assert_eq!(
        value("[resourceId('rg2', 'Microsoft.Network/publicIPAddresses', 'pip')]"),
        json!("/subscriptions/{subscriptionId}/resourceGroups/rg2/providers/Microsoft.Network/publicIPAddresses/pip")
    );
    assert_eq!(
        value("[resourceId('sub1', 'rg2', 'Microsoft.Network/publicIPAddresses', 'pip')]"),
        json!("/subscriptions/sub1/resourceGroups/rg2/providers/Microsoft.Network/publicIPAddresses/pip")
    );
    assert!(unresolved("[resourceId('x', 's', 'g', 'Microsoft.Network/publicIPAddresses', 'p')]").contains("too many"));
}

#[test]
fn resource_id_rejects_mismatches() {
    assert!(
        unresolved("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet')]")
            .contains("needs 2 name(s), got 1")
    );
    assert!(
        unresolved("[resourceId('Microsoft.Network/virtualNetworks', 'a', 'b')]").contains("needs 1 name(s), got 2")
    );
    assert!(unresolved("[resourceId('vnet', 'sub')]").contains("no resource type"));
    assert!(unresolved("[resourceId('/virtualNetworks', 'a')]").contains("invalid resource type"));
    assert!(unresolved("[resourceId('Microsoft.Network//x', 'a', 'b')]").contains("invalid resource type"));
    assert!(unresolved("[resourceId('Microsoft.Network/virtualNetworks', '')]").contains("invalid resource name"));
    assert!(unresolved("[resourceId('Microsoft.Network/virtualNetworks', 'a/b')]").contains("invalid resource name"));
    assert!(unresolved("[resourceId('', 'Microsoft.Network/virtualNetworks', 'a')]").contains("empty"));
    assert!(unresolved("[resourceId('Microsoft.Network/virtualNetworks', 3)]").contains("must be strings"));
    assert!(
        unresolved("[resourceId('Microsoft.Network/virtualNetworks', parameters('noDefault'))]")
            .contains("no defaultValue")
    );
}

#[test]
fn unsupported_functions_are_unresolved() {
    assert!(unresolved("[subscription().subscriptionId]").contains("property access"));
    assert!(unresolved("[resourceGroup().name]").contains("property access"));
    assert!(unresolved("[resourceGroup().location]").contains("resourceGroup().location"));
    assert!(unresolved("[parameters('tags')['env']]").contains("property access"));
    assert!(unresolved("[uniqueString('x')]").contains("'uniqueString' is not supported"));
    assert!(unresolved("[concat(utils.helper(), 'x')]").contains("'utils.helper'"));
}

#[test]
fn syntax_errors_carry_byte_offsets() {
    let cases: &[(&str, usize, &str)] = &[
        ("[concat('a']", 11, "missing ')'"),
        ("[concat('a))]", 8, "unterminated string"),
        ("[concat('a'))]", 12, "unexpected character ')'"),
        ("[]", 1, "unexpected end"),
        ("[concat 'a']", 8, "expected '('"),
        ("[concat('a' 'b')]", 12, "unexpected character '''"),
        ("[99999999999999999999]", 1, "out of range"),
        ("[-]", 2, "expected digits"),
        ("[resourceGroup().]", 17, "property name"),
        ("[parameters('tags')['env']", 25, "missing ']'"),
        ("[#]", 1, "unexpected character '#'"),
        ("[concat('é', ü)]", 14, "unexpected character 'ü'"),
    ];
    for (s, offset, message) in cases {
        let err = syntax_error(s);
        assert_eq!(err.offset, *offset, "{s}: {err}");
        assert!(err.message.contains(message), "{s}: {err}");
    }
}

#[test]
fn error_display_names_offset() {
    let err = syntax_error("[#]");
    assert_eq!(
        err.to_string(),
        "invalid template expression at offset 1: unexpected character '#'"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("[{}'a'{}]", "concat(".repeat(100), ")".repeat(100));
    assert!(syntax_error(&deep).message.contains("too deeply"));
    let index = format!("[{}0{}]", "parameters('x')[".repeat(100), "]".repeat(100));
    assert!(syntax_error(&index).message.contains("too deeply"));
    let fine = format!("[{}'a'{}]", "concat(".repeat(20), ")".repeat(20));
    assert_eq!(value(&fine), json!("a"));
}

#[test]
fn crate_resource_id_helper() {
    assert_eq!(
        resource_id("Microsoft.Network/networkSecurityGroups/securityRules", &["nsg1", "rdp"]).unwrap(),
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Network/networkSecurityGroups/nsg1/securityRules/rdp"
    );
    assert!(resource_id("securityRules", &["rdp"]).is_err());
}

#[test]
fn shared_references_are_evaluated_once() {
    // Each level refers to the previous one twice: without memoisation this is 2^60 evaluations.
    let t = doubling_chain("");
    let got = evaluate("[variables('v60')]", &EvalContext::new(&t)).unwrap();
    assert_eq!(got, Evaluated::Value(json!("")));
}

#[test]
fn concat_results_are_bounded() {
    let t = doubling_chain("ab");
    let ctx = EvalContext::new(&t);
    let got = evaluate("[variables('v60')]", &ctx).unwrap();
    assert!(matches!(got, Evaluated::Unresolved(r) if r.contains("longer than")));
    let small = evaluate("[variables('v3')]", &ctx).unwrap();
    assert_eq!(small, Evaluated::Value(json!("ab".repeat(8))));
}

fn doubling_chain(seed: &str) -> Value {
    let mut vars = Map::new();
    vars.insert("v0".into(), json!(seed));
    for i in 1..=60 {
        let prev = format!("variables('v{}')", i - 1);
        vars.insert(format!("v{i}"), json!(format!("[concat({prev}, {prev})]")));
    }
    json!({ "variables": vars })
}
