//! The contract's examples (`shared/spec/API.md`), offered as templates in the composer.

use txstate_core::Api;

/// A named example body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Template {
    /// What it shows.
    pub name: &'static str,
    /// Which API.
    pub api: Api,
    /// The body.
    pub body: &'static str,
}

/// Every template, the contract's own examples first.
pub const TEMPLATES: &[Template] = &[
    Template {
        name: "Contract example: failure 532 with responseCode 403",
        api: Api::Notify,
        body: r#"{
  "responseState": "532",
  "refTransId": "CC02_1605176995001254571",
  "deploymentId": "API_1605176965390000881",
  "additionalInfo": "{\"responseCode\":\"403\",\"responseDesc\":\"There was an error with the authentication token\"}"
}"#,
    },
    Template {
        name: "Success 531 with a response time",
        api: Api::Notify,
        body: r#"{
  "responseState": "531",
  "refTransId": "CC02_1605176995001254572",
  "deploymentId": "API_1605176965390000881",
  "responseTime": "2020-11-12 10:29:55"
}"#,
    },
    Template {
        name: "Contract example: trombone call completed",
        api: Api::Voice,
        body: r#"{
  "transaction-id": "VOC_1409040058211000001",
  "call-starttime": "2014-08-26 08:00:58.211",
  "call-endtime": "2014-08-26 08:00:59.200",
  "call-source": "3",
  "trombone-starttime": "2014-08-26 08:00:58.211",
  "trombone-endtime": "2014-08-26 08:00:59.211",
  "call-state": "6",
  "drop-code": "2005",
  "message": "Call finished",
  "voice-recorded": "Yes"
}"#,
    },
    Template {
        name: "Outbound call, line busy",
        api: Api::Voice,
        body: r#"{
  "transaction-id": "VOC_1409040058211000002",
  "call-starttime": "2014-08-26 09:00:00.000",
  "call-endtime": "2014-08-26 09:00:04.500",
  "call-source": "2",
  "call-state": "2",
  "drop-code": "1002",
  "times-attempted": "1"
}"#,
    },
];

/// The first template of `api`: what a new composer starts with.
pub fn first(api: Api) -> &'static Template {
    TEMPLATES
        .iter()
        .find(|t| t.api == api)
        .unwrap_or(&TEMPLATES[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use txstate_core::{validate, Options};

    #[test]
    fn every_template_is_valid_without_a_catalog() {
        for t in TEMPLATES {
            let v = validate(t.api, t.body.as_bytes(), &Options::default());
            assert!(v.ok, "{}: {:?}", t.name, v.errors);
        }
    }
}
