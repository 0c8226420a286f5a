//! The deployment rules of notify, 1102–1105 (contract: API 1 codes and "Decisions for
//! notify"), checked against the catalog the caller passed in, and the responseCode warnings.

use std::borrow::Cow;

use crate::catalog::{match_response, Catalog, Channel, ResponseMatch, ResponseType};
use crate::codes::Code;
use crate::fields::InfoField;
use crate::fields::NotifyField::DeploymentId as DEPLOYMENT_ID;
use crate::message::{Message, Rule};
use crate::payload::ResponseState;
use crate::verdict::Findings;

const FIELD: &str = DEPLOYMENT_ID.name();

/// Checks the deployment `id` of a notification. Records every rule that fails.
// A `Cow` and not a `&str`: findings clone it, which copies nothing when it borrows the body.
#[allow(clippy::ptr_arg)]
pub(crate) fn check<'a>(
    f: &mut Findings<'a>,
    catalog: &Catalog,
    id: &Cow<'a, str>,
    state: Option<ResponseState>,
    response_code: Option<&Cow<'a, str>>,
) {
    let rule = |r: Rule<'a>| Message::Rule(r);
    let Some(dep) = catalog.deployment(id) else {
        f.error(
            FIELD,
            Code::NoActionMapped,
            rule(Rule::UnknownDeployment { id: id.clone() }),
        );
        return;
    };
    if dep.channel != Channel::ExternalAction {
        let channel = dep.channel.name();
        let r = Rule::NotExternalAction {
            id: id.clone(),
            channel,
        };
        f.error(FIELD, Code::NoActionMapped, rule(r));
        return;
    }
    let action = match &dep.action_id {
        None => {
            f.error(
                FIELD,
                Code::NoActionMapped,
                rule(Rule::NoActionMapped { id: id.clone() }),
            );
            None
        }
        Some(action_id) => {
            let action = catalog.action(action_id);
            if action.is_none() {
                let r = Rule::MissingAction {
                    id: id.clone(),
                    action: action_id.clone(),
                };
                f.error(FIELD, Code::NoActionMapped, rule(r));
            }
            action
        }
    };
    if let Some(action) = action {
        let named = || action.name.clone();
        match action.response_type {
            None => {
                let r = Rule::NoResponseType {
                    id: id.clone(),
                    action: named(),
                };
                f.error(FIELD, Code::ActionTypeMissing, rule(r));
            }
            Some(ResponseType::Sync) => {
                let r = Rule::SyncAction {
                    id: id.clone(),
                    action: named(),
                };
                f.error(FIELD, Code::ActionNotAsync, rule(r));
            }
            Some(ResponseType::Async) => {}
        }
    }
    if !dep.kind.takes_notifications() {
        let r = Rule::NotNotifiable {
            id: id.clone(),
            kind: dep.kind.name(),
        };
        f.error(FIELD, Code::DeploymentTypeNotAllowed, rule(r));
    }
    if let (Some(action), Some(state), Some(code)) = (action, state, response_code) {
        let field = InfoField::ResponseCode.path();
        let code = code.clone();
        match match_response(action, state, &code) {
            ResponseMatch::Defined(_) => {}
            ResponseMatch::OppositeList(_) => {
                f.warn(field, rule(Rule::OppositeList { code, state }))
            }
            ResponseMatch::NotSpecified => {
                let r = Rule::UndefinedCode {
                    code,
                    action: action.name.clone(),
                };
                f.warn(field, rule(r));
            }
        }
    }
}
