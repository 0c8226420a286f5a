//! The deployment rules of notify, 1102–1105 (contract: API 1 codes and "Decisions for
//! notify"), checked against the catalog the caller passed in, and the responseCode warnings.

use crate::catalog::{Catalog, Channel, ResponseType};
use crate::codes::Code;
use crate::json::clip;
use crate::notify::ResponseState;
use crate::report::{match_response, ResponseMatch, NOT_SPECIFIED};
use crate::verdict::Findings;

const FIELD: &str = "deploymentId";

/// Checks the deployment `id` of a notification. Records every rule that fails.
pub(crate) fn check(
    f: &mut Findings<'_>,
    catalog: &Catalog,
    id: &str,
    state: Option<ResponseState>,
    response_code: Option<&str>,
) {
    let Some(dep) = catalog.deployment(id) else {
        f.error(
            FIELD,
            Code::NoActionMapped,
            format!(
                "deployment \"{}\" is unknown: no actions are mapped for it",
                clip(id)
            ),
        );
        return;
    };
    if dep.channel != Channel::ExternalAction {
        f.error(
            FIELD,
            Code::NoActionMapped,
            format!("deployment \"{}\" is a {} deployment: only External Action deployments have actions mapped", clip(id), dep.channel.name()),
        );
        return;
    }
    let action = match &dep.action_id {
        None => {
            f.error(
                FIELD,
                Code::NoActionMapped,
                format!("deployment \"{}\" has no action mapped", clip(id)),
            );
            None
        }
        Some(action_id) => {
            let action = catalog.action(action_id);
            if action.is_none() {
                f.error(
                    FIELD,
                    Code::NoActionMapped,
                    format!(
                        "deployment \"{}\" maps action \"{}\", which does not exist",
                        clip(id),
                        clip(action_id)
                    ),
                );
            }
            action
        }
    };
    if let Some(action) = action {
        match action.response_type {
            None => f.error(
                FIELD,
                Code::ActionTypeMissing,
                format!("action \"{}\" of deployment \"{}\" has no response type (sync/async) set", clip(&action.name), clip(id)),
            ),
            Some(ResponseType::Sync) => f.error(
                FIELD,
                Code::ActionNotAsync,
                format!("action \"{}\" of deployment \"{}\" is synchronous: only async actions take notifications", clip(&action.name), clip(id)),
            ),
            Some(ResponseType::Async) => {}
        }
    }
    if !dep.kind.takes_notifications() {
        f.error(
            FIELD,
            Code::DeploymentTypeNotAllowed,
            format!("deployment \"{}\" is of type {}: only onetime and recurring deployments take notifications", clip(id), dep.kind.name()),
        );
    }
    if let (Some(action), Some(state), Some(code)) = (action, state, response_code) {
        let field = "additionalInfo.responseCode";
        match match_response(action, state, code) {
            ResponseMatch::Defined(_) => {}
            ResponseMatch::OppositeList(_) => {
                let (listed, sent) = match state {
                    ResponseState::Success => ("failure", "531 (success)"),
                    ResponseState::Failure => ("success", "532 (failure)"),
                };
                f.warn(
                    field,
                    format!("responseCode \"{}\" is in the action's {listed} list but was sent with {sent}; the report will say {NOT_SPECIFIED}", clip(code)),
                );
            }
            ResponseMatch::NotSpecified => f.warn(
                field,
                format!("responseCode \"{}\" is not defined by action \"{}\"; the report will say {NOT_SPECIFIED}", clip(code), clip(&action.name)),
            ),
        }
    }
}
