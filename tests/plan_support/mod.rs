//! Fixtures shared by the plan tests.
#![allow(dead_code)]

use sxforge::capacity::{plan_from_str, Plan};

/// One element, two refineries, one import: optimum derivable by hand.
///
/// Ore costs 100/t and carries 0.5 t Nd per tonne (recovery 1).
/// R1: existing 400 t/yr, opex 200 -> Nd at 2 x (100 + 200) = 600/t.
/// R2: new capacity at capex 1000 per t/yr over 10 years at rate 0, i.e.
///     100 per t/yr per year, opex 300 -> Nd at 2 x (100 + 300 + 100) = 1000/t.
/// Import: Nd at 2000/t, at most `import_cap` t.
/// Demand 500 t Nd; unmet demand at 5000/t.
pub fn hand_plan(max_new: f64, import_cap: f64, extra_policy: &str) -> String {
    format!(
        r#"
name = "hand"
elements = ["Nd"]

[[region]]
name = "A"

[[region]]
name = "B"
allied = false

[[source]]
name = "S"
region = "A"
capacity = 10000
cost = 100
assay = {{ Nd = 0.5 }}

[[refinery]]
name = "R1"
region = "A"
existing = 400
opex = 200
recovery = 1.0

[[refinery]]
name = "R2"
region = "A"
max_new = {max_new}
capex = 1000
lifetime = 10
opex = 300
recovery = 1.0

[[demand]]
region = "A"
element = "Nd"
amount = 500

[[import]]
region = "B"
price = {{ Nd = 2000 }}
capacity = {{ Nd = {import_cap} }}

[policy]
discount_rate = 0.0
unmet_penalty = 5000
{extra_policy}
"#
    )
}

/// Parses plan text, panicking with the error message.
pub fn plan(text: &str) -> Plan {
    plan_from_str(text).unwrap_or_else(|e| panic!("{e}"))
}

/// Two elements with by-products, three refineries in three regions, imports
/// with caps, a share cap and a budget: a non-degenerate plan in which most
/// kinds of limit bind.
pub const RICH: &str = r#"
name = "rich"
elements = ["La", "Nd", "Dy"]

[[region]]
name = "North"
[[region]]
name = "South"
[[region]]
name = "East"
[[region]]
name = "Out"
allied = false

[[source]]
name = "hard-rock"
region = "North"
capacity = 3000
cost = 300
assay = { La = 0.30, Nd = 0.15, Dy = 0.002 }

[[source]]
name = "clay"
region = "South"
capacity = 150
cost = 900
assay = { La = 0.02, Nd = 0.03, Dy = 0.06 }

[[refinery]]
name = "N1"
region = "North"
existing = 1000
max_new = 3000
capex = 4000
lifetime = 15
opex = 500
recovery = 0.93

[[refinery]]
name = "S1"
region = "South"
existing = 100
max_new = 200
capex = 9000
lifetime = 15
opex = 800
recovery = 0.9

[[refinery]]
name = "E1"
region = "East"
existing = 300
opex = 650
recovery = 0.95

[[demand]]
region = "North"
element = "Nd"
amount = 180
[[demand]]
region = "South"
element = "Nd"
amount = 150
[[demand]]
region = "East"
element = "Nd"
amount = 90
[[demand]]
region = "North"
element = "Dy"
amount = 9
[[demand]]
region = "East"
element = "Dy"
amount = 6
[[demand]]
region = "South"
element = "La"
amount = 200

[[import]]
region = "Out"
price = { Nd = 9000, Dy = 60000 }
capacity = { Nd = 60, Dy = 5 }

[surplus]
price = { La = 150 }
market = { La = 300 }
disposal = { default = 40, La = 60 }

[transport]
default = 70
within = 5

[[transport.route]]
from = "North"
to = "East"
cost = 25

[policy]
discount_rate = 0.07
max_import_share = { default = 0.9, Dy = 0.1 }
budget = 5000000
unmet_penalty = { default = 80000, Dy = 150000 }
"#;
