// The customer portal inside your page, for browsers: the frame and its postMessage protocol
// as Patron's own public/embed.js speaks it, with types.
//
//   frame -> page  {type:"patron:ready"}                      the portal is shown
//                  {type:"patron:resize", height}             its content's height (CSS px)
//                  {type:"patron:action", kind, id}           the customer changed something
//                  {type:"patron:token-expired"}              it needs a new one-time token
//                  {type:"patron:dialog", top, height}        a dialog opened there: show it
//   page -> frame  {type:"patron:token", token}               a one-time token
//
// Messages are taken only from the frame's window and the Patron origin, and sent only to that
// origin. No DOM types are needed to compile against this module: the shapes it uses are
// declared here, and any DOM element fits them.
import type { WebhookEventType } from './types.js';

/** What a customer did in the portal (`patron:action`'s `kind`). */
export type PortalAction = Extract<
  WebhookEventType,
  'subscription.canceled' | 'subscription.recovered' | 'subscription.payment_method_updated'
>;

/** A message the frame posts to your page. */
export type FrameMessage =
  | { type: 'patron:ready' }
  | { type: 'patron:resize'; height: number }
  | { type: 'patron:action'; kind: PortalAction; id: string }
  | { type: 'patron:token-expired' }
  | { type: 'patron:dialog'; top: number; height: number };

/** The message your page posts to the frame. */
export interface PageMessage {
  type: 'patron:token';
  token: string;
}

/** A token as your back end answers it: the token, or the whole customer session. */
export type TokenAnswer = string | { token: string };

export interface MountOptions {
  /**
   * The `url` of a customer session your back end minted with `embed_origin` (the frame's
   * address with the token in its fragment). Or give `token` (or `getToken`) with `baseUrl`
   * and `shop`.
   */
  sessionUrl?: string;
  /** A one-time token from `customerSessions.create({ ..., embed_origin })`. */
  token?: string;
  /** Your Patron server's address, with `token` or `getToken`. */
  baseUrl?: string;
  /** The shop's portal name (as in `/embed/<shop>`), with `token` or `getToken`. */
  shop?: string;
  /**
   * Fetches a fresh token from your back end: called when the frame's session ends (and at
   * mount when neither `sessionUrl` nor `token` is given). Without it an expired frame reports
   * an error.
   */
  getToken?: () => TokenAnswer | Promise<TokenAnswer>;
  /** The frame's accessible title (default "Your purchases"). */
  title?: string;
  /** The frame's height until the portal reports its own, in CSS pixels (default 160). */
  minHeight?: number;
  onReady?: () => void;
  /** The frame was resized to the portal's content height. */
  onResize?: (height: number) => void;
  onAction?: (action: { kind: PortalAction; id: string }) => void;
  /** A token could not be had; the message says why. */
  onError?: (error: { message: string }) => void;
}

/** Any DOM element (an `HTMLElement`): the frame is appended to it. */
export interface EmbedElement {
  appendChild(node: never): unknown;
  dispatchEvent(event: never): boolean;
  readonly ownerDocument: unknown;
}

/** The iframe `mount` made. */
export interface EmbedFrame {
  title: string;
  src: string;
  style: { cssText: string; height: string };
  setAttribute(name: string, value: string): void;
  remove(): void;
  readonly contentWindow: { postMessage(message: unknown, targetOrigin: string): void } | null;
  getBoundingClientRect(): { top: number };
}

/** What `mount` answers. */
export interface Mounted {
  /** The iframe. */
  readonly frame: EmbedFrame;
  /** Whether the portal said `patron:ready`. */
  readonly ready: boolean;
  /** Removes the frame and stops listening. */
  unmount(): void;
}

interface MessageLike {
  readonly data: unknown;
  readonly origin: string;
  readonly source: unknown;
}

interface View {
  addEventListener(type: 'message', listener: (event: MessageLike) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageLike) => void): void;
  scrollBy(x: number, y: number): void;
  readonly innerHeight: number;
  readonly CustomEvent?: new (type: string, init: { detail: unknown; bubbles: boolean }) => unknown;
}

interface Doc {
  createElement(tag: 'iframe'): EmbedFrame;
  readonly defaultView: View | null;
}

function tokenOf(answer: TokenAnswer | undefined | null): string {
  if (answer && typeof answer === 'object') return typeof answer.token === 'string' ? answer.token : '';
  return typeof answer === 'string' ? answer.trim() : '';
}

/** Where the frame is loaded from, and the origin its messages must come from. */
function target(options: MountOptions): { origin: string; src?: string; base?: string } {
  if (options.sessionUrl) {
    const url = new URL(options.sessionUrl);
    if (!/^#token=./.test(url.hash)) {
      throw new TypeError(
        'embed.mount: sessionUrl must be a customer session url minted with embed_origin (…/embed/<shop>#token=…)',
      );
    }
    return { origin: url.origin, src: url.href };
  }
  if (!options.baseUrl || !options.shop) {
    throw new TypeError('embed.mount: give sessionUrl, or token (or getToken) with baseUrl and shop');
  }
  const origin = new URL(options.baseUrl).origin;
  return { origin, base: `${origin}/embed/${encodeURIComponent(options.shop)}` };
}

/**
 * Shows the customer portal in a frame appended to `element`, as tall as its content.
 * Besides the callbacks, `element` receives the DOM events embed.js sends: `patron:ready`,
 * `patron:resize` ({height}), `patron:action` ({kind, id}) and `patron:error` ({message}).
 */
function mount(element: EmbedElement, options: MountOptions): Mounted {
  if (!element || !options || (!options.sessionUrl && !options.token && typeof options.getToken !== 'function')) {
    throw new TypeError('embed.mount(element, options) needs an element and one of sessionUrl, token or getToken');
  }
  // Typed loosely for callers (any element fits); used through these shapes here.
  const host = element as unknown as { appendChild(node: unknown): unknown; dispatchEvent(event: unknown): boolean };
  const doc = element.ownerDocument as Doc | null;
  const view = doc?.defaultView;
  if (!doc || !view) throw new TypeError('embed.mount: the element is not in a document with a window');
  const { origin, src, base } = target(options);

  const frame = doc.createElement('iframe');
  frame.title = options.title ?? 'Your purchases';
  frame.setAttribute('allow', 'clipboard-write');
  frame.style.cssText = `display:block;width:100%;border:0;height:${options.minHeight ?? 160}px`;
  let ready = false;
  let mounted = true;

  const emit = (type: string, detail: unknown = {}) => {
    if (view.CustomEvent) host.dispatchEvent(new view.CustomEvent(type, { detail, bubbles: true }));
  };
  const fail = (error: unknown) => {
    const message = String((error instanceof Error && error.message) || error);
    options.onError?.({ message });
    emit('patron:error', { message });
  };
  const fresh = async (): Promise<string> => {
    if (!options.getToken) throw new Error('the portal session ended and no getToken was given');
    const token = tokenOf(await options.getToken());
    if (!token) throw new Error('getToken gave no token');
    return token;
  };

  // A dialog opened `top` CSS pixels below the frame's top: the frame's viewport is the whole
  // portal, so only this page can scroll it into view; centred, or its top at the view's top.
  const reveal = (top: number, height: number) => {
    const at = frame.getBoundingClientRect().top + top;
    if (at >= 0 && at + height <= view.innerHeight) return;
    view.scrollBy(0, at - Math.max(0, (view.innerHeight - height) / 2));
  };

  const onMessage = (event: MessageLike) => {
    if (event.source !== frame.contentWindow || event.origin !== origin) return;
    const data = (event.data ?? {}) as Partial<Record<string, unknown>>;
    switch (data.type) {
      case 'patron:ready':
        ready = true;
        options.onReady?.();
        emit('patron:ready');
        break;
      case 'patron:resize':
        if (typeof data.height === 'number' && data.height >= 0) {
          frame.style.height = `${Math.ceil(data.height)}px`;
          options.onResize?.(data.height);
          emit('patron:resize', { height: data.height });
        }
        break;
      case 'patron:dialog':
        if (Number.isFinite(data.top) && Number.isFinite(data.height) && (data.height as number) >= 0) {
          reveal(data.top as number, data.height as number);
        }
        break;
      case 'patron:action': {
        const action = { kind: String(data.kind) as PortalAction, id: String(data.id) };
        options.onAction?.(action);
        emit('patron:action', action);
        break;
      }
      case 'patron:token-expired':
        fresh().then((token) => {
          if (!mounted) return;
          const message: PageMessage = { type: 'patron:token', token };
          frame.contentWindow?.postMessage(message, origin);
        }, fail);
        break;
    }
  };

  view.addEventListener('message', onMessage);
  if (src) {
    frame.src = src;
  } else if (options.token) {
    frame.src = `${base}#token=${encodeURIComponent(options.token)}`;
  } else {
    fresh().then((token) => {
      if (mounted) frame.src = `${base}#token=${encodeURIComponent(token)}`;
    }, fail);
  }
  host.appendChild(frame);

  return {
    frame,
    get ready() {
      return ready;
    },
    unmount() {
      mounted = false;
      view.removeEventListener('message', onMessage);
      frame.remove();
    },
  };
}

/** The embedded portal; also `import { embed } from '@patron/sdk/embed'`. */
export const embed = { mount } as const;
