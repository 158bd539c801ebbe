//! Who may do what: merchant roles and API key scopes.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

crate::string_enum!(
    /// A merchant user's role in one workspace; roles order weakest first.
    Role {
        /// Reads everything, changes nothing.
        Viewer = "viewer",
        /// Viewer, plus refunds and subscription management; never bans, erases or merges.
        Support = "support",
        /// Everything but managing members.
        Admin = "admin",
        /// Everything.
        Owner = "owner",
    }
);

impl Role {
    /// Whether this role grants `scope` (roles and API keys share one vocabulary).
    pub fn allows(self, scope: Scope) -> bool {
        match scope {
            Scope::CustomersRead | Scope::ProductsRead => true,
            Scope::RefundsWrite
            | Scope::SubscriptionsWrite
            | Scope::EntitlementsWrite
            | Scope::PortalWrite => self >= Role::Support,
            Scope::CustomersWrite
            | Scope::ProductsWrite
            | Scope::CheckoutsWrite
            | Scope::PaymentDetailsWrite
            | Scope::CommandsWrite
            | Scope::BansWrite
            | Scope::WorkspaceWrite
            | Scope::WebhooksWrite
            | Scope::CustomersErase
            | Scope::CustomersMerge
            | Scope::ApiKeysManage => self >= Role::Admin,
            Scope::MembersManage => self == Role::Owner,
        }
    }
}

/// A permission an API key carries, also checked for users through their role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// Read customers.
    #[serde(rename = "customers:read")]
    CustomersRead,
    /// Create, edit and archive customers.
    #[serde(rename = "customers:write")]
    CustomersWrite,
    /// Read products.
    #[serde(rename = "products:read")]
    ProductsRead,
    /// Create and archive products.
    #[serde(rename = "products:write")]
    ProductsWrite,
    /// Record purchases (`POST /checkouts`) and pay orders awaiting payment.
    #[serde(rename = "checkouts:write")]
    CheckoutsWrite,
    /// Refund orders, record disputes and repayments.
    #[serde(rename = "refunds:write")]
    RefundsWrite,
    /// Cancel, revoke and recover subscriptions.
    #[serde(rename = "subscriptions:write")]
    SubscriptionsWrite,
    /// Grant, revoke and link entitlements.
    #[serde(rename = "entitlements:write")]
    EntitlementsWrite,
    /// Block and unblock payment details.
    #[serde(rename = "payment_details:write")]
    PaymentDetailsWrite,
    /// Fetch and report game-server commands (a game-server plugin's key).
    #[serde(rename = "commands:write")]
    CommandsWrite,
    /// Create, edit and lift bans.
    #[serde(rename = "bans:write")]
    BansWrite,
    /// Open the customer portal for a customer (`POST /customer_sessions`).
    #[serde(rename = "portal:write")]
    PortalWrite,
    /// Change the workspace's settings (its name, its portal's address and look, the
    /// sites allowed to embed the portal).
    #[serde(rename = "workspace:write")]
    WorkspaceWrite,
    /// Manage webhook endpoints and read and resend their deliveries.
    #[serde(rename = "webhooks:write")]
    WebhooksWrite,
    /// Erase a customer's personal data (GDPR Art. 17): irreversible.
    #[serde(rename = "customers:erase")]
    CustomersErase,
    /// Merge duplicate customers, and undo a merge.
    #[serde(rename = "customers:merge")]
    CustomersMerge,
    /// Invite, re-role and remove members (owners only). Held by a role, never by a key:
    /// it is not in [`Scope::ALL`], so no key can be made with it.
    #[serde(rename = "members:manage")]
    MembersManage,
    /// Create, list and revoke API keys (admins and owners). Held by a role, never by a key,
    /// so a key cannot make a stronger one.
    #[serde(rename = "api_keys:manage")]
    ApiKeysManage,
}

impl Scope {
    /// Every scope an API key may hold.
    pub const ALL: [Scope; 16] = [
        Scope::CustomersRead,
        Scope::CustomersWrite,
        Scope::ProductsRead,
        Scope::ProductsWrite,
        Scope::CheckoutsWrite,
        Scope::RefundsWrite,
        Scope::SubscriptionsWrite,
        Scope::EntitlementsWrite,
        Scope::PaymentDetailsWrite,
        Scope::CommandsWrite,
        Scope::BansWrite,
        Scope::PortalWrite,
        Scope::WorkspaceWrite,
        Scope::WebhooksWrite,
        Scope::CustomersErase,
        Scope::CustomersMerge,
    ];

    /// The scope's name (`customers:read`).
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::CustomersRead => "customers:read",
            Scope::CustomersWrite => "customers:write",
            Scope::ProductsRead => "products:read",
            Scope::ProductsWrite => "products:write",
            Scope::CheckoutsWrite => "checkouts:write",
            Scope::RefundsWrite => "refunds:write",
            Scope::SubscriptionsWrite => "subscriptions:write",
            Scope::EntitlementsWrite => "entitlements:write",
            Scope::PaymentDetailsWrite => "payment_details:write",
            Scope::CommandsWrite => "commands:write",
            Scope::BansWrite => "bans:write",
            Scope::PortalWrite => "portal:write",
            Scope::WorkspaceWrite => "workspace:write",
            Scope::WebhooksWrite => "webhooks:write",
            Scope::CustomersErase => "customers:erase",
            Scope::CustomersMerge => "customers:merge",
            Scope::MembersManage => "members:manage",
            Scope::ApiKeysManage => "api_keys:manage",
        }
    }
}

/// A part of the workspace that API key scopes open: one row of the dashboard's key form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScopeResource {
    /// Customers and what is recorded about them (`customers:read`, `customers:write`).
    Customers,
    /// The product catalogue.
    Products,
    /// Purchases recorded by a back end.
    Checkouts,
    /// Refunds, disputes and repayments.
    Refunds,
    /// Subscriptions.
    Subscriptions,
    /// Entitlements.
    Entitlements,
    /// Payment details (cards and the like).
    PaymentDetails,
    /// Game-server commands.
    Commands,
    /// Bans.
    Bans,
    /// The customer portal.
    Portal,
    /// The workspace's settings.
    Workspace,
    /// Webhook endpoints and their deliveries.
    Webhooks,
    /// Erasing customers' personal data (`customers:erase`).
    Erasure,
    /// Merging duplicate customers (`customers:merge`).
    Merges,
}

/// How far a scope opens its resource: reading it, or changing it as well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    /// Reads it.
    Read,
    /// Changes it.
    Write,
}

impl Scope {
    /// The resource this scope opens and how far; `None` for the scopes only roles hold.
    pub fn opens(self) -> Option<(ScopeResource, Access)> {
        use Access::{Read, Write};
        use ScopeResource as R;
        Some(match self {
            Scope::CustomersRead => (R::Customers, Read),
            Scope::CustomersWrite => (R::Customers, Write),
            Scope::ProductsRead => (R::Products, Read),
            Scope::ProductsWrite => (R::Products, Write),
            Scope::CheckoutsWrite => (R::Checkouts, Write),
            Scope::RefundsWrite => (R::Refunds, Write),
            Scope::SubscriptionsWrite => (R::Subscriptions, Write),
            Scope::EntitlementsWrite => (R::Entitlements, Write),
            Scope::PaymentDetailsWrite => (R::PaymentDetails, Write),
            Scope::CommandsWrite => (R::Commands, Write),
            Scope::BansWrite => (R::Bans, Write),
            Scope::PortalWrite => (R::Portal, Write),
            Scope::WorkspaceWrite => (R::Workspace, Write),
            Scope::WebhooksWrite => (R::Webhooks, Write),
            Scope::CustomersErase => (R::Erasure, Write),
            Scope::CustomersMerge => (R::Merges, Write),
            Scope::MembersManage | Scope::ApiKeysManage => return None,
        })
    }
}

impl ScopeResource {
    /// Every resource a key's scopes open, in the order of [`Scope::ALL`].
    pub fn all() -> Vec<ScopeResource> {
        let mut all = Vec::new();
        for (resource, _) in Scope::ALL.into_iter().filter_map(Scope::opens) {
            if !all.contains(&resource) {
                all.push(resource);
            }
        }
        all
    }

    /// The levels a key can have here, lowest first: Read only where a read scope exists.
    pub fn levels(self) -> Vec<Access> {
        let mut levels: Vec<Access> = Scope::ALL
            .into_iter()
            .filter_map(Scope::opens)
            .filter(|(resource, _)| *resource == self)
            .map(|(_, access)| access)
            .collect();
        levels.sort_unstable();
        levels.dedup();
        levels
    }

    /// The scopes a key needs for `access` here. A scope never implies another (a key that
    /// writes customers reads them only if it holds `customers:read` too), so Write brings the
    /// read scope with it.
    pub fn scopes_for(self, access: Access) -> Vec<Scope> {
        Scope::ALL
            .into_iter()
            .filter(|s| s.opens().is_some_and(|(r, a)| r == self && a <= access))
            .collect()
    }

    /// The highest level `scopes` give here in full; `None` when they give none (a write
    /// scope held without its read scope gives no level).
    pub fn level_in(self, scopes: &[Scope]) -> Option<Access> {
        self.levels()
            .into_iter()
            .rev()
            .find(|&a| self.scopes_for(a).iter().all(|s| scopes.contains(s)))
    }

    /// Whether `scopes` hold any scope of this resource.
    pub fn touched_by(self, scopes: &[Scope]) -> bool {
        scopes
            .iter()
            .any(|s| s.opens().is_some_and(|(r, _)| r == self))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Scope::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = Scope::ALL.iter().map(|x| x.as_str()).collect();
                format!("unknown scope {s:?}; known scopes: {}", known.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_scopes_round_trip_through_their_names() {
        for &r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        for s in Scope::ALL {
            assert_eq!(s.as_str().parse::<Scope>(), Ok(s));
        }
        assert!("root".parse::<Role>().is_err());
        assert!(
            "customers:delete"
                .parse::<Scope>()
                .unwrap_err()
                .contains("customers:write")
        );
    }

    #[test]
    fn viewers_and_support_read_but_only_admins_and_owners_write_customers() {
        assert!(Role::Viewer.allows(Scope::CustomersRead));
        assert!(!Role::Viewer.allows(Scope::CustomersWrite));
        assert!(!Role::Support.allows(Scope::CustomersWrite));
        assert!(Role::Admin.allows(Scope::CustomersWrite));
        assert!(Role::Owner.allows(Scope::CustomersWrite));
    }

    #[test]
    fn support_refunds_and_manages_subscriptions_but_never_blocks() {
        assert!(Role::Support.allows(Scope::RefundsWrite));
        assert!(Role::Support.allows(Scope::SubscriptionsWrite));
        assert!(!Role::Viewer.allows(Scope::RefundsWrite));
        assert!(!Role::Support.allows(Scope::PaymentDetailsWrite));
        assert!(Role::Admin.allows(Scope::PaymentDetailsWrite));
    }

    #[test]
    fn every_key_scope_belongs_to_one_row_and_write_brings_read_along() {
        for s in Scope::ALL {
            let (resource, access) = s.opens().expect("a key scope opens a resource");
            assert!(resource.scopes_for(access).contains(&s));
        }
        assert_eq!(
            ScopeResource::Customers.scopes_for(Access::Write),
            vec![Scope::CustomersRead, Scope::CustomersWrite]
        );
        assert_eq!(ScopeResource::Bans.levels(), vec![Access::Write]);
        assert_eq!(
            ScopeResource::Products.levels(),
            vec![Access::Read, Access::Write]
        );
        assert_eq!(
            ScopeResource::all().first(),
            Some(&ScopeResource::Customers)
        );
        assert_eq!(ScopeResource::all().len(), 14);
        assert_eq!(Scope::MembersManage.opens(), None);
    }

    #[test]
    fn a_write_scope_without_its_read_scope_gives_no_level() {
        let customers = ScopeResource::Customers;
        assert_eq!(customers.level_in(&[Scope::CustomersWrite]), None);
        assert!(customers.touched_by(&[Scope::CustomersWrite]));
        assert_eq!(
            customers.level_in(&[Scope::CustomersWrite, Scope::CustomersRead]),
            Some(Access::Write)
        );
        assert_eq!(
            customers.level_in(&[Scope::CustomersRead]),
            Some(Access::Read)
        );
        assert_eq!(ScopeResource::Bans.level_in(&[Scope::CustomersRead]), None);
        assert!(!ScopeResource::Bans.touched_by(&[Scope::CustomersRead]));
    }

    #[test]
    fn only_owners_manage_members_and_no_key_can_hold_the_team_scopes() {
        assert!(Role::Owner.allows(Scope::MembersManage));
        assert!(!Role::Admin.allows(Scope::MembersManage));
        assert!(Role::Admin.allows(Scope::ApiKeysManage));
        assert!(!Role::Support.allows(Scope::ApiKeysManage));
        assert!("members:manage".parse::<Scope>().is_err());
        assert!("api_keys:manage".parse::<Scope>().is_err());
    }
}
