//! The platform model behind codes 1102–1105 and the report (contract: "The platform model
//! behind the codes"). The caller passes a [`Catalog`] in; core never looks anything up itself.
//! The server's `GET /admin/api/catalog` answers exactly this shape, and the wasm validator
//! takes it as its `catalog` option.

use serde::{Deserialize, Serialize};

/// `{code, description}` of an action's success or failure list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ResponseDef {
    /// The responseCode a partner sends.
    pub code: String,
    /// What the report shows for it.
    pub description: String,
}

/// An External Action's response type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ResponseType {
    /// Asynchronous: the only kind that takes notifications.
    Async,
    /// Synchronous.
    Sync,
}

/// An External Action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Action {
    /// Its id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// The target system (a label).
    #[serde(default)]
    pub target_system: String,
    /// The action type (a label).
    #[serde(default)]
    pub action_type: String,
    /// Synchronous, asynchronous, or not set (`null` → 1103).
    #[serde(default)]
    pub response_type: Option<ResponseType>,
    /// Max transactions per second.
    #[serde(default)]
    pub max_tps: Option<u32>,
    /// Raise an alert if more than this percentage fails within an hour.
    #[serde(default)]
    pub alert_threshold_percent: Option<f64>,
    /// A description.
    #[serde(default)]
    pub description: String,
    /// Codes that mean success (matched on 531).
    #[serde(default)]
    pub success_responses: Vec<ResponseDef>,
    /// Codes that mean failure (matched on 532).
    #[serde(default)]
    pub failure_responses: Vec<ResponseDef>,
}

/// A deployment's channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Channel {
    /// External Action: the only channel that takes notifications.
    ExternalAction,
    /// Voice.
    Voice,
    /// SMS.
    Sms,
    /// Email.
    Email,
    /// WhatsApp.
    Whatsapp,
    /// Push notifications.
    Push,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 6] = [
        Channel::ExternalAction,
        Channel::Voice,
        Channel::Sms,
        Channel::Email,
        Channel::Whatsapp,
        Channel::Push,
    ];

    /// The wire name (`external-action`, `voice`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Channel::ExternalAction => "external-action",
            Channel::Voice => "voice",
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Whatsapp => "whatsapp",
            Channel::Push => "push",
        }
    }

    /// The prefix of generated deployment ids (`API_` for External Action: contract decision).
    pub fn id_prefix(self) -> &'static str {
        match self {
            Channel::ExternalAction => "API",
            Channel::Voice => "VOC",
            Channel::Sms => "SMS",
            Channel::Email => "EML",
            Channel::Whatsapp => "WAP",
            Channel::Push => "PSH",
        }
    }
}

/// A deployment's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum DeploymentType {
    /// One-time: takes notifications.
    Onetime,
    /// Recurring: takes notifications.
    Recurring,
    /// Instant.
    Instant,
    /// Event-triggered.
    Event,
    /// API-triggered.
    Api,
}

impl DeploymentType {
    /// Every type, in the order forms offer them.
    pub const ALL: [DeploymentType; 5] = [
        DeploymentType::Onetime,
        DeploymentType::Recurring,
        DeploymentType::Instant,
        DeploymentType::Event,
        DeploymentType::Api,
    ];

    /// Whether notifications are allowed for it (1105 otherwise).
    pub fn takes_notifications(self) -> bool {
        matches!(self, DeploymentType::Onetime | DeploymentType::Recurring)
    }

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            DeploymentType::Onetime => "onetime",
            DeploymentType::Recurring => "recurring",
            DeploymentType::Instant => "instant",
            DeploymentType::Event => "event",
            DeploymentType::Api => "api",
        }
    }
}

/// A deployment's status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum DeploymentStatus {
    /// Being written.
    Draft,
    /// Waiting for approval or its start.
    Pending,
    /// Running.
    #[default]
    Running,
    /// Paused.
    Paused,
    /// Stopped.
    Stopped,
    /// Completed.
    Completed,
}

impl DeploymentStatus {
    /// Every status, in a deployment's life order.
    pub const ALL: [DeploymentStatus; 6] = [
        DeploymentStatus::Draft,
        DeploymentStatus::Pending,
        DeploymentStatus::Running,
        DeploymentStatus::Paused,
        DeploymentStatus::Stopped,
        DeploymentStatus::Completed,
    ];

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            DeploymentStatus::Draft => "draft",
            DeploymentStatus::Pending => "pending",
            DeploymentStatus::Running => "running",
            DeploymentStatus::Paused => "paused",
            DeploymentStatus::Stopped => "stopped",
            DeploymentStatus::Completed => "completed",
        }
    }
}

/// A deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Deployment {
    /// Its id, e.g. `API_1605176965390000881`.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its channel.
    pub channel: Channel,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: DeploymentType,
    /// Its status.
    #[serde(default)]
    pub status: DeploymentStatus,
    /// The mapped External Action, if any.
    #[serde(default)]
    pub action_id: Option<String>,
}

/// What validation knows of the platform: actions and deployments. A server passes just the
/// deployment of the request and its action; the UI and the wasm package pass what
/// `GET /admin/api/catalog` returned.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Catalog {
    /// External Actions.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// Deployments.
    #[serde(default)]
    pub deployments: Vec<Deployment>,
}

impl Catalog {
    /// The deployment with this id.
    pub fn deployment(&self, id: &str) -> Option<&Deployment> {
        self.deployments.iter().find(|d| d.id == id)
    }

    /// The action with this id.
    pub fn action(&self, id: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.id == id)
    }

    /// The action mapped to a deployment, if both exist.
    pub fn action_of(&self, deployment: &Deployment) -> Option<&Action> {
        deployment
            .action_id
            .as_deref()
            .and_then(|id| self.action(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names forms show are the names serde writes, for every value of each list.
    #[test]
    fn names_are_the_wire_names() {
        let wire = |v: serde_json::Value| v.as_str().map(str::to_owned);
        for c in Channel::ALL {
            assert_eq!(wire(serde_json::json!(c)).as_deref(), Some(c.name()));
        }
        for t in DeploymentType::ALL {
            assert_eq!(wire(serde_json::json!(t)).as_deref(), Some(t.name()));
        }
        for s in DeploymentStatus::ALL {
            assert_eq!(wire(serde_json::json!(s)).as_deref(), Some(s.name()));
        }
    }
}
