//! The platform model behind codes 1102–1105 and the report (contract: "The platform model
//! behind the codes"). The caller passes a [`Catalog`] in; core never looks anything up itself.
//! The server's `GET /admin/api/catalog` answers exactly this shape, and the wasm validator
//! takes it as its `catalog` option.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::payload::ResponseState;

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
///
/// Lookups by id use an index built on the first lookup (a server validates every request
/// against one cached catalog). Adding or removing entries afterwards is safe (lookups then
/// scan); changing an entry's id in place after a lookup is not supported.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Catalog {
    /// External Actions.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// Deployments.
    #[serde(default)]
    pub deployments: Vec<Deployment>,
    #[serde(skip)]
    #[cfg_attr(feature = "schema", schemars(skip))]
    index: OnceLock<Index>,
}

/// Positions of a catalog's entries, sorted by id.
#[derive(Clone, Debug, Default)]
struct Index {
    actions: Vec<u32>,
    deployments: Vec<u32>,
}

impl PartialEq for Catalog {
    fn eq(&self, other: &Self) -> bool {
        self.actions == other.actions && self.deployments == other.deployments
    }
}

impl Catalog {
    /// A catalog of these actions and deployments.
    pub fn new(actions: Vec<Action>, deployments: Vec<Deployment>) -> Self {
        Catalog {
            actions,
            deployments,
            index: OnceLock::new(),
        }
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| Index {
            actions: sorted_by_id(&self.actions, |a| &a.id),
            deployments: sorted_by_id(&self.deployments, |d| &d.id),
        })
    }

    /// The deployment with this id (the first, if several have it).
    pub fn deployment(&self, id: &str) -> Option<&Deployment> {
        lookup(
            &self.deployments,
            || &self.index().deployments[..],
            id,
            |d| &d.id,
        )
    }

    /// The action with this id (the first, if several have it).
    pub fn action(&self, id: &str) -> Option<&Action> {
        lookup(&self.actions, || &self.index().actions[..], id, |a| &a.id)
    }

    /// The action mapped to a deployment, if both exist.
    pub fn action_of(&self, deployment: &Deployment) -> Option<&Action> {
        deployment
            .action_id
            .as_deref()
            .and_then(|id| self.action(id))
    }
}

/// Catalogs up to this many actions or deployments are scanned, not searched.
const LINEAR_UP_TO: usize = 16;

/// The positions of `items`, sorted by id (stable: equal ids keep their order).
fn sorted_by_id<T>(items: &[T], id: fn(&T) -> &str) -> Vec<u32> {
    let mut positions: Vec<u32> = (0..items.len())
        .filter_map(|i| u32::try_from(i).ok())
        .collect();
    positions.sort_by(|a, b| id(&items[*a as usize]).cmp(id(&items[*b as usize])));
    positions
}

/// The first of `items` with `wanted` as id: by the index while it covers every item, by a
/// scan otherwise.
fn lookup<'c, 'i, T>(
    items: &'c [T],
    index: impl FnOnce() -> &'i [u32],
    wanted: &str,
    id: fn(&T) -> &str,
) -> Option<&'c T> {
    let scan = || items.iter().find(|i| id(i) == wanted);
    // A short list is scanned (cheaper than a binary search's string comparisons: callgrind),
    // and never indexed.
    if items.len() <= LINEAR_UP_TO {
        return scan();
    }
    let index = index();
    if index.len() != items.len() {
        return scan();
    }
    let item = |p: &u32| items.get(*p as usize);
    let at = index.partition_point(|p| item(p).is_some_and(|i| id(i) < wanted));
    index.get(at).and_then(item).filter(|i| id(i) == wanted)
}

/// The description of a code that the request did not give or the action does not define.
pub const NOT_SPECIFIED: &str = "NOT SPECIFIED";

/// How a responseCode matches an action's lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponseMatch<'a> {
    /// In the list of its own state: the description.
    Defined(&'a str),
    /// Only in the list of the other state: that list's description.
    OppositeList(&'a str),
    /// In neither list.
    NotSpecified,
}

/// Matches `code` sent with `state` against `action`'s lists.
pub fn match_response<'a>(
    action: &'a Action,
    state: ResponseState,
    code: &str,
) -> ResponseMatch<'a> {
    let (own, other) = match state {
        ResponseState::Success => (&action.success_responses, &action.failure_responses),
        ResponseState::Failure => (&action.failure_responses, &action.success_responses),
    };
    if let Some(r) = own.iter().find(|r| r.code == code) {
        ResponseMatch::Defined(&r.description)
    } else if let Some(r) = other.iter().find(|r| r.code == code) {
        ResponseMatch::OppositeList(&r.description)
    } else {
        ResponseMatch::NotSpecified
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(id: &str) -> Deployment {
        let json = serde_json::json!({"id": id, "name": id, "channel": "external-action", "type": "onetime"});
        serde_json::from_value(json).expect("a deployment")
    }

    /// The index finds what a scan finds, first of duplicates included, and a catalog grown
    /// after its first lookup is still searched whole.
    #[test]
    fn lookups_by_index_agree_with_a_scan() {
        let ids = ["d5", "d1", "d3", "d1", "d9", "d0", "d7"];
        // Past the length below which lookups scan, and a short one.
        let many = (0..40).map(|n| format!("x{n}"));
        let mut ids: Vec<String> = ids.iter().map(|i| i.to_string()).chain(many).collect();
        ids.swap(3, 30);
        for n in [ids.len(), 7] {
            let c = Catalog::new(Vec::new(), ids[..n].iter().map(|i| deployment(i)).collect());
            for wanted in [
                "d0", "d1", "d3", "d5", "d7", "d9", "d2", "", "d10", "x39", "x4",
            ] {
                let scan = c.deployments.iter().position(|d| d.id == wanted);
                let found = c.deployment(wanted).map(|d| d as *const Deployment);
                assert_eq!(
                    found,
                    scan.map(|p| &c.deployments[p] as *const Deployment),
                    "{wanted}"
                );
            }
        }
        let mut c = Catalog::new(Vec::new(), ids.iter().map(|i| deployment(i)).collect());
        assert!(c.deployment("d0").is_some() && c.deployment("d2").is_none());
        c.deployments.push(deployment("d2"));
        assert_eq!(c.deployment("d2").map(|d| d.id.as_str()), Some("d2"));
        assert_eq!(c.clone(), c);
    }

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
