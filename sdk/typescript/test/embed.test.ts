// embed.mount speaks embed.js's protocol: on a small stand-in for the browser's DOM (a window
// that receives postMessage events, a document that makes the iframe, an element), the frame
// gets the right address, and the frame's messages resize it, announce readiness and actions,
// reveal dialogs and ask for tokens; messages from any other window or origin are ignored.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { embed, type FrameMessage, type MountOptions } from '@patron/sdk/embed';

const PATRON = 'https://billing.example.com';

class FakeFrame {
  title = '';
  src = '';
  style = { cssText: '', height: '' };
  attributes: Record<string, string> = {};
  removed = false;
  top = 100;
  posted: Array<[unknown, string]> = [];
  readonly contentWindow = {
    postMessage: (message: unknown, origin: string) => void this.posted.push([message, origin]),
  };
  setAttribute(name: string, value: string) {
    this.attributes[name] = value;
  }
  remove() {
    this.removed = true;
  }
  getBoundingClientRect() {
    return { top: this.top };
  }
}

class FakeWindow extends EventTarget {
  innerHeight = 800;
  scrolls: number[] = [];
  CustomEvent = CustomEvent;
  scrollBy(_x: number, y: number) {
    this.scrolls.push(y);
  }
}

function page() {
  const view = new FakeWindow();
  const frames: FakeFrame[] = [];
  const document = {
    defaultView: view,
    createElement: (tag: 'iframe') => {
      assert.equal(tag, 'iframe');
      const f = new FakeFrame();
      frames.push(f);
      return f;
    },
  };
  const events: Array<{ type: string; detail: unknown }> = [];
  class Element extends EventTarget {
    children: unknown[] = [];
    ownerDocument = document;
    appendChild(node: unknown) {
      this.children.push(node);
      return node;
    }
  }
  const element = new Element();
  for (const type of ['patron:ready', 'patron:resize', 'patron:action', 'patron:error']) {
    element.addEventListener(type, (e) => events.push({ type, detail: (e as CustomEvent).detail }));
  }
  /** The frame (or someone else) posting to the page. */
  const post = (data: FrameMessage | Record<string, unknown>, from: { origin?: string; source?: unknown } = {}) =>
    view.dispatchEvent(
      Object.assign(new Event('message'), {
        data,
        origin: from.origin ?? PATRON,
        source: 'source' in from ? from.source : frames[0]!.contentWindow,
      }),
    );
  return { view, frames, element, events, post };
}

const sessionUrl = `${PATRON}/embed/northwind-games#token=Xq3abc`;
const tick = () => new Promise((r) => setTimeout(r, 0));

test('a session url becomes the frame address, appended with a title and a starting height', () => {
  const { element, frames } = page();
  const mounted = embed.mount(element, { sessionUrl });
  assert.equal(frames.length, 1);
  assert.deepEqual(element.children, [frames[0]]);
  assert.equal(mounted.frame, frames[0]);
  assert.equal(frames[0]!.src, sessionUrl);
  assert.equal(frames[0]!.title, 'Your purchases');
  assert.equal(frames[0]!.attributes.allow, 'clipboard-write');
  assert.match(frames[0]!.style.cssText, /height:160px/);
  assert.equal(mounted.ready, false);
});

test('a token with the server and the shop makes the same address embed.js does', () => {
  const { element, frames } = page();
  embed.mount(element, { token: 'a b/c', baseUrl: `${PATRON}/api/v1`, shop: 'north wind' });
  assert.equal(frames[0]!.src, `${PATRON}/embed/north%20wind#token=a%20b%2Fc`);
});

test('with only getToken, the frame opens once the token arrives (a whole session answer will do)', async () => {
  const { element, frames } = page();
  embed.mount(element, { baseUrl: PATRON, shop: 'northwind-games', getToken: async () => ({ token: 'fresh1' }) });
  assert.equal(frames[0]!.src, '');
  await tick();
  assert.equal(frames[0]!.src, `${PATRON}/embed/northwind-games#token=fresh1`);
});

test('ready, resize and action messages reach the callbacks and the element', () => {
  const { element, frames, events, post } = page();
  const heights: number[] = [];
  const actions: unknown[] = [];
  let readyCalls = 0;
  const mounted = embed.mount(element, {
    sessionUrl,
    onReady: () => readyCalls++,
    onResize: (h) => heights.push(h),
    onAction: (a) => actions.push(a),
  });
  post({ type: 'patron:ready' });
  post({ type: 'patron:resize', height: 612.4 });
  post({ type: 'patron:action', kind: 'subscription.canceled', id: 'sub_01' });
  assert.equal(mounted.ready, true);
  assert.equal(readyCalls, 1);
  assert.deepEqual(heights, [612.4]);
  assert.equal(frames[0]!.style.height, '613px');
  assert.deepEqual(actions, [{ kind: 'subscription.canceled', id: 'sub_01' }]);
  assert.deepEqual(events, [
    { type: 'patron:ready', detail: {} },
    { type: 'patron:resize', detail: { height: 612.4 } },
    { type: 'patron:action', detail: { kind: 'subscription.canceled', id: 'sub_01' } },
  ]);
});

test('messages from another origin or another window are ignored', () => {
  const { element, frames, post } = page();
  const heights: number[] = [];
  embed.mount(element, { sessionUrl, onResize: (h) => heights.push(h) });
  post({ type: 'patron:resize', height: 999 }, { origin: 'https://evil.example' });
  post({ type: 'patron:resize', height: 999 }, { source: { postMessage() {} } });
  post({ type: 'patron:resize', height: -5 });
  assert.deepEqual(heights, []);
  assert.match(frames[0]!.style.cssText, /height:160px/);
});

test('an expired token is replaced through getToken, posted only to the Patron origin', async () => {
  const { element, frames, post } = page();
  let asked = 0;
  embed.mount(element, { sessionUrl, getToken: () => `next${++asked}` });
  post({ type: 'patron:token-expired' });
  await tick();
  assert.equal(asked, 1);
  assert.deepEqual(frames[0]!.posted, [[{ type: 'patron:token', token: 'next1' }, PATRON]]);
});

test('an expired token without getToken, or a getToken that fails, is reported as an error', async () => {
  const { element, events, post } = page();
  const errors: string[] = [];
  embed.mount(element, { sessionUrl, onError: (e) => errors.push(e.message) });
  post({ type: 'patron:token-expired' });
  await tick();
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /getToken/);
  assert.equal(events.at(-1)!.type, 'patron:error');

  const second = page();
  const failures: string[] = [];
  embed.mount(second.element, { sessionUrl, getToken: async () => '', onError: (e) => failures.push(e.message) });
  second.post({ type: 'patron:token-expired' });
  await tick();
  assert.deepEqual(failures, ['getToken gave no token']);
});

test('a dialog below the view scrolls the page to centre it; one in view does not', () => {
  const { element, view, post } = page();
  embed.mount(element, { sessionUrl });
  post({ type: 'patron:dialog', top: 200, height: 300 });
  assert.deepEqual(view.scrolls, [], 'frame top 100 + 200 = 300, bottom 600: in the 800 px view');
  post({ type: 'patron:dialog', top: 1200, height: 400 });
  assert.deepEqual(view.scrolls, [1300 - (800 - 400) / 2]);
});

test('unmount removes the frame and stops listening', () => {
  const { element, frames, post } = page();
  const heights: number[] = [];
  const mounted = embed.mount(element, { sessionUrl, onResize: (h) => heights.push(h) });
  mounted.unmount();
  assert.equal(frames[0]!.removed, true);
  post({ type: 'patron:resize', height: 300 });
  assert.deepEqual(heights, []);
});

test('options that cannot make a frame are refused with a TypeError', () => {
  const { element } = page();
  assert.throws(() => embed.mount(element, {} as MountOptions), TypeError);
  assert.throws(() => embed.mount(element, { token: 't' }), /baseUrl and shop/);
  assert.throws(() => embed.mount(element, { sessionUrl: `${PATRON}/portal/northwind-games` }), /embed_origin/);
});
