// `new Patron({ apiKey, baseUrl })`: one object holding every resource of the REST API.
import { Core, type PatronOptions } from './core.js';
import { Bans } from './resources/bans.js';
import { BulkActions } from './resources/bulk-actions.js';
import { Checkouts, CustomerSessions } from './resources/checkouts.js';
import { Customers } from './resources/customers.js';
import { Commands, Entitlements } from './resources/entitlements.js';
import { Imports } from './resources/imports.js';
import { Merges } from './resources/merges.js';
import { Disputes, Orders } from './resources/orders.js';
import { PaymentDetails } from './resources/payment-details.js';
import { Products } from './resources/products.js';
import { Segments } from './resources/segments.js';
import { Subscriptions } from './resources/subscriptions.js';
import { WebhookDeliveries, WebhookEndpoints } from './resources/webhook-endpoints.js';
import { ErasureRequests, Workspace } from './resources/workspace.js';
import { webhooks } from './webhooks.js';

/**
 * A client of one Patron server with one API key.
 *
 * ```ts
 * const patron = new Patron({ apiKey: process.env.PATRON_API_KEY!, baseUrl: 'https://billing.example.com' });
 * for await (const customer of patron.customers.list({ q: 'mar' })) console.log(customer.email);
 * ```
 */
export class Patron {
  readonly customers: Customers;
  readonly orders: Orders;
  readonly disputes: Disputes;
  readonly subscriptions: Subscriptions;
  readonly entitlements: Entitlements;
  readonly commands: Commands;
  readonly products: Products;
  readonly checkouts: Checkouts;
  readonly customerSessions: CustomerSessions;
  readonly bans: Bans;
  readonly segments: Segments;
  readonly bulkActions: BulkActions;
  readonly webhookEndpoints: WebhookEndpoints;
  readonly webhookDeliveries: WebhookDeliveries;
  readonly imports: Imports;
  readonly merges: Merges;
  readonly paymentDetails: PaymentDetails;
  readonly workspace: Workspace;
  readonly erasureRequests: ErasureRequests;
  /** Verifies webhook deliveries; needs no API key (also exported as `webhooks`). */
  readonly webhooks = webhooks;
  /** Where requests go: the server's address and `/api/v1`. */
  readonly apiBase: string;

  constructor(options: PatronOptions) {
    const core = new Core(options);
    this.apiBase = core.apiBase;
    this.customers = new Customers(core);
    this.orders = new Orders(core);
    this.disputes = new Disputes(core);
    this.subscriptions = new Subscriptions(core);
    this.entitlements = new Entitlements(core);
    this.commands = new Commands(core);
    this.products = new Products(core);
    this.checkouts = new Checkouts(core);
    this.customerSessions = new CustomerSessions(core);
    this.bans = new Bans(core);
    this.segments = new Segments(core);
    this.bulkActions = new BulkActions(core);
    this.webhookEndpoints = new WebhookEndpoints(core);
    this.webhookDeliveries = new WebhookDeliveries(core);
    this.imports = new Imports(core);
    this.merges = new Merges(core);
    this.paymentDetails = new PaymentDetails(core);
    this.workspace = new Workspace(core);
    this.erasureRequests = new ErasureRequests(core);
  }
}
