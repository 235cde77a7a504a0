// Apollo Client (from npm) with automatic persisted queries sent as GET, as a mobile portal
// sets it up: `node client.cjs URL`. Runs the same query with two fresh clients and prints, as
// JSON, what each returned and every HTTP exchange it made (method, query string, status,
// caching headers, body).
const crypto = require("node:crypto");
const { ApolloClient, InMemoryCache, HttpLink, gql } = require("@apollo/client/core");
const { createPersistedQueryLink } = require("@apollo/client/link/persisted-queries");

const url = process.argv[2];
const exchanges = [];

async function loggingFetch(input, init) {
  const res = await fetch(input, init);
  const body = await res.clone().text();
  const u = new URL(typeof input === "string" ? input : input.url);
  exchanges.push({
    method: (init && init.method) || "GET",
    params: Object.fromEntries(u.searchParams),
    requestBody: init && init.body ? JSON.parse(init.body) : null,
    status: res.status,
    cacheControl: res.headers.get("cache-control"),
    etag: res.headers.get("etag"),
    vary: res.headers.get("vary"),
    body: body ? JSON.parse(body) : null,
  });
  return res;
}

function client() {
  const sha256 = (q) => crypto.createHash("sha256").update(q).digest("hex");
  return new ApolloClient({
    cache: new InMemoryCache(),
    link: createPersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
      new HttpLink({ uri: url, fetch: loggingFetch }),
    ),
  });
}

const QUERY = gql`
  query PublicUnits($first: Int) {
    units(first: $first) {
      nodes {
        code
        name
      }
    }
  }
`;

(async () => {
  const results = [];
  for (let i = 0; i < 2; i++) {
    const r = await client().query({ query: QUERY, variables: { first: 3 }, fetchPolicy: "no-cache" });
    results.push(r.data);
  }
  process.stdout.write(JSON.stringify({ results, exchanges }));
})().catch((e) => {
  process.stderr.write(String((e && e.stack) || e));
  process.exit(1);
});
