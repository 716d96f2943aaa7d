//! OpenAPI schemas of the response bodies that are the application layer's own serde
//! types (their full field lists are the CLI's JSON contract, documented in the README
//! and in `yieldline-core`): objects with the fields every such body has.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};

fn object(description: &str, required: &[&str]) -> ObjectBuilder {
    let mut b = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description));
    for r in required {
        // Any value: the field's full shape is the CLI's JSON contract.
        b = b
            .property(*r, ObjectBuilder::new().schema_type(SchemaType::AnyValue))
            .required(*r);
    }
    b
}

macro_rules! body_schema {
    ($(#[$doc:meta])* $ty:ident, $name:literal, $desc:literal, [$($req:literal),* $(,)?]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $ty;

        impl utoipa::PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                object($desc, &[$($req),*]).into()
            }
        }

        impl utoipa::ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

body_schema!(
    /// `yieldline_core::report::Report`.
    ReportBody, "Report",
    "The line's measurements over a period: what `yieldline report --format json` prints.",
    ["line", "from", "to", "working_days", "stations", "production", "territory"]
);
body_schema!(
    /// `yieldline_app::analysis::Drift`.
    DriftBody, "Drift",
    "Control charts and run rules per station: what `yieldline drift --format json` prints.",
    ["stations"]
);
body_schema!(
    /// `yieldline_core::plan::Plan`.
    PlanBody, "Plan",
    "What a daily target takes at each station: what `yieldline plan --format json` prints.",
    ["target", "stations", "monte_carlo"]
);
body_schema!(
    /// `yieldline_core::watch::Watch`.
    WatchBody, "Watch",
    "The toxic-automation watch: what `yieldline watch --format json` prints.",
    ["as_of", "health", "action", "signals"]
);
body_schema!(
    /// `yieldline_core::dispatch::Dispatch`.
    DispatchBody, "Dispatch",
    "The day's work orders: what `yieldline dispatch --format json` prints.",
    ["date", "orders", "fresh_intake", "notes", "excluded"]
);
body_schema!(
    /// `yieldline_core::experiment::ExperimentDef`.
    ExperimentBody, "Experiment",
    "An experiment's definition: one element of `yieldline experiment list --format json`.",
    ["id", "station", "arms", "control", "salt", "start"]
);
body_schema!(
    /// `yieldline_core::experiment::Analysis`.
    AnalysisBody, "Analysis",
    "An experiment's analysis: what `yieldline experiment analyze ID --format json` prints.",
    ["id", "station", "arms", "comparisons", "verdict"]
);

/// A list of experiments.
#[derive(Debug, Clone, Copy)]
pub struct ExperimentList;

impl utoipa::PartialSchema for ExperimentList {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                "Experiment",
            )))
            .description(Some(
                "Every experiment, by start then id: what `yieldline experiment list --format json` prints.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for ExperimentList {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ExperimentList")
    }
}
