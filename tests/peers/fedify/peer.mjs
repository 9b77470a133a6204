// A fediverse server built on Fedify (npm @fedify/fedify), for Kith's integration tests
// (tests/integration/fedify.rs). One account, `alice`, with an RSA key (HTTP signatures) and
// an Ed25519 key (FEP-521a assertionMethod); Fedify signs, verifies and double-knocks, this
// script only wires it to a loopback HTTP server and lets the test drive it:
//
//   POST /control/follow {group}          alice follows a Kith group
//   POST /control/post   {group, content} alice posts into it
//   POST /control/join   {event, group}   alice answers an event of the group (Join)
//   POST /control/leave  {group}          alice leaves (Undo{Follow})
//   POST /control/lookup {handle, follow} alice searches for @NAME@HOST as GoToSocial does
//                                         (WebFinger and actor fetch signed with her key, the
//                                         answer's subject checked), and follows it if asked
//   GET  /control/received                activities Fedify verified in alice's inboxes
//
// Environment: FIRST_KNOCK (`draft-cavage-http-signatures-12` or `rfc9421`, Fedify's
// `firstKnock`), RFC9421_ONLY=1 (inbox POSTs signed draft-cavage are answered 401 before
// Fedify sees them: a server that reads only RFC 9421), SOFTWARE=NAME (NodeInfo names that
// software, so that Kith treats the peer as that kind of server, e.g. `mastodon`; without it
// the peer serves no NodeInfo). It prints `listening on URL`.

import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
} from "@fedify/fedify";
import {
  Accept,
  Activity,
  Create,
  Endpoints,
  Follow,
  Join,
  Mention,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Undo,
} from "@fedify/fedify/vocab";
import { signRequest } from "@fedify/fedify/sig";

const firstKnock = process.env.FIRST_KNOCK ?? "rfc9421";
const rfc9421Only = process.env.RFC9421_ONLY === "1";

const federation = createFederation({
  kv: new MemoryKvStore(),
  // Kith runs in development mode on 127.0.0.1 over plain http.
  allowPrivateAddress: true,
  firstKnock,
});

const keys = [
  await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
  await generateCryptoKeyPair("Ed25519"),
];
const received = [];
const follows = new Map();

const software = process.env.SOFTWARE;
if (software) {
  federation.setNodeInfoDispatcher("/nodeinfo/2.1", async () => ({
    software: { name: software, version: "4.3.0" },
    protocols: ["activitypub"],
    usage: { users: { total: 1 }, localPosts: 0, localComments: 0 },
  }));
}

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "alice") return null;
    const pairs = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Alice on Fedify",
      inbox: ctx.getInboxUri(identifier),
      outbox: ctx.getOutboxUri(identifier),
      followers: ctx.getFollowersUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: pairs[0].cryptographicKey,
      assertionMethods: pairs.map((pair) => pair.multikey),
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) =>
    identifier === "alice" ? keys : []
  );
federation.setOutboxDispatcher("/users/{identifier}/outbox", async () => ({
  items: [],
}));
federation.setFollowersDispatcher("/users/{identifier}/followers", async () => ({
  items: [],
}));
federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Activity, async (_ctx, activity) => {
    received.push(await activity.toJsonLd({ format: "compact" }));
  });

let origin;
const ctx = () => federation.createContext(new URL(origin), undefined);
const alice = () => ctx().getActorUri("alice");

async function send(recipient, activity) {
  await ctx().sendActivity({ identifier: "alice" }, recipient, activity, {
    immediate: true,
  });
}

const control = {
  async follow({ group }) {
    const target = await ctx().lookupObject(group);
    const follow = new Follow({
      id: new URL(`#follows/${randomUUID()}`, alice()),
      actor: alice(),
      object: target.id,
    });
    follows.set(group, follow);
    await send(target, follow);
    return { id: follow.id.href };
  },
  async post({ group, content }) {
    const target = await ctx().lookupObject(group);
    const id = new URL(`/notes/${randomUUID()}`, origin);
    const note = new Note({
      id,
      attribution: alice(),
      content,
      tos: [PUBLIC_COLLECTION, target.id],
      tags: [new Mention({ href: target.id, name: `@${target.preferredUsername}` })],
    });
    await send(
      target,
      new Create({
        id: new URL(`${id.href}/activity`),
        actor: alice(),
        object: note,
        tos: [PUBLIC_COLLECTION, target.id],
      }),
    );
    return { id: id.href };
  },
  async join({ event, group }) {
    const target = await ctx().lookupObject(group);
    const join = new Join({
      id: new URL(`#joins/${randomUUID()}`, alice()),
      actor: alice(),
      object: new URL(event),
    });
    await send(target, join);
    return { id: join.id.href };
  },
  // A search by handle as GoToSocial makes it: it signs even the WebFinger request with the
  // searching user's key, refuses an answer whose subject names another account, and fetches
  // the actor signed with that user's key too (Fedify's authenticated document loader).
  // Answers {found: false, stage, error} when a step fails, the actor's id and
  // preferredUsername when found, and the Follow's id when asked to follow.
  async lookup({ handle, follow }) {
    const [user, host] = handle.replace(/^@/, "").split("@");
    const resource = `acct:${user}@${host}`;
    const webfinger = new URL(`http://${host}/.well-known/webfinger`);
    webfinger.searchParams.set("resource", resource);
    const [pair] = await ctx().getActorKeyPairs("alice");
    const request = await signRequest(
      new Request(webfinger, { headers: { accept: "application/jrd+json" } }),
      pair.privateKey,
      pair.keyId,
    );
    const answer = await fetch(request);
    if (!answer.ok) {
      return { found: false, stage: "webfinger", error: `HTTP ${answer.status}` };
    }
    const jrd = await answer.json();
    if (jrd.subject !== resource) {
      return { found: false, stage: "webfinger", error: `subject ${jrd.subject}` };
    }
    const self = (jrd.links ?? []).find((l) =>
      l.rel === "self" && l.type === "application/activity+json"
    );
    if (self?.href == null) return { found: false, stage: "webfinger", error: "no self link" };
    const documentLoader = await ctx().getDocumentLoader({ identifier: "alice" });
    const target = await ctx().lookupObject(self.href, { documentLoader });
    if (target == null) {
      // Why: the authenticated loader's own error (e.g. `HTTP 404: URL`).
      const error = await documentLoader(self.href).then(
        () => "not an object",
        (e) => String(e?.message ?? e),
      );
      return { found: false, stage: "actor", error };
    }
    if (target.preferredUsername !== user) {
      return { found: false, stage: "actor", error: `named ${target.preferredUsername}` };
    }
    const found = {
      found: true,
      id: target.id.href,
      preferredUsername: target.preferredUsername,
    };
    if (!follow) return found;
    const activity = new Follow({
      id: new URL(`#follows/${randomUUID()}`, alice()),
      actor: alice(),
      object: target.id,
    });
    follows.set(target.id.href, activity);
    await send(target, activity);
    return { ...found, follow: activity.id.href };
  },
  async leave({ group }) {
    const target = await ctx().lookupObject(group);
    const follow = follows.get(group);
    await send(
      target,
      new Undo({
        id: new URL(`#undo/${randomUUID()}`, alice()),
        actor: alice(),
        object: follow,
      }),
    );
    return { ok: true };
  },
};

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function reply(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

const server = createServer(async (req, res) => {
  try {
    const body = await readBody(req);
    const url = new URL(req.url, origin);
    if (url.pathname === "/control/received") {
      return reply(res, 200, received);
    }
    if (url.pathname.startsWith("/control/")) {
      const action = control[url.pathname.slice("/control/".length)];
      if (!action) return reply(res, 404, { error: "no such control" });
      try {
        return reply(res, 200, await action(JSON.parse(body.toString() || "{}")));
      } catch (error) {
        return reply(res, 502, { error: String(error?.stack ?? error) });
      }
    }
    if (
      rfc9421Only && req.method === "POST" && req.headers["signature"] != null &&
      req.headers["signature-input"] == null
    ) {
      return reply(res, 401, { error: "this server reads RFC 9421 signatures only" });
    }
    const request = new Request(url, {
      method: req.method,
      headers: req.headers,
      body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
    });
    const response = await federation.fetch(request, { contextData: undefined });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    reply(res, 500, { error: String(error?.stack ?? error) });
  }
});

server.listen(0, "127.0.0.1", () => {
  origin = `http://127.0.0.1:${server.address().port}`;
  console.log(`listening on ${origin}`);
});
