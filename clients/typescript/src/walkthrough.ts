// A front-end team's walk-through of the jointip API with a generated client: the types come from
// the served OpenAPI document (`npm run types`), requests go through openapi-fetch. It drives one
// engagement from creation to its first accepted milestone and downloads the contract DOCX.
//
// It compiles (tsc --strict) only if the document says what the wire does: money is `number`,
// states and actions are string-literal unions, and every error is the `Problem` type.
//
//   JOINTIP_URL=http://127.0.0.1:8000 JOINTIP_OPERATOR_KEY=... node dist/walkthrough.js

import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Schemas = components["schemas"];
type Problem = Schemas["Problem"];

// --- compile-time checks on the generated types -----------------------------------------------
type Is<T, U> = [T] extends [U] ? ([U] extends [T] ? true : false) : false;
type IsAny<T> = 0 extends 1 & T ? true : false;
type IsLiteralUnion<T> = IsAny<T> extends true ? false : string extends T ? false : true;
type Assert<T extends true> = T;

export type MoneyIsNumber = [
  Assert<Is<Schemas["Proposal"]["total_fee"], number>>,
  Assert<Is<Schemas["MilestoneInput"]["fee"], number>>,
  Assert<Is<Schemas["Milestone"]["paid_total"], number>>,
  Assert<Is<Schemas["Shares"]["vendor"], number>>,
];
export type StatesAreUnions = [
  Assert<IsLiteralUnion<Schemas["Engagement"]["state"]>>,
  Assert<IsLiteralUnion<Schemas["Milestone"]["state"]>>,
  Assert<IsLiteralUnion<Schemas["Engagement"]["currency"]>>,
  Assert<IsLiteralUnion<Schemas["EngagementActionAvailability"]["action"]>>,
  Assert<IsLiteralUnion<Schemas["AuditEvent"]["type"]>>,
];

/** Accepts only a value typed exactly as Problem (not `any`, not `unknown`). */
function problem<E extends Problem>(error: IsAny<E> extends true ? never : E): Problem {
  return error;
}

// --- helpers ----------------------------------------------------------------------------------
const baseUrl = process.env.JOINTIP_URL ?? "http://127.0.0.1:8000";
const operatorKey = process.env.JOINTIP_OPERATOR_KEY ?? "";
const client = (key: string) => createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${key}` } });

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function digits(n: number): string {
  return Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join("");
}

/** A Norwegian organisasjonsnummer: 8 digits and the mod-11 check digit. */
function norwegianOrgNumber(): string {
  const weights = [3, 2, 7, 6, 5, 4, 3, 2];
  for (;;) {
    const first = "9" + digits(7);
    const sum = weights.reduce((acc, w, i) => acc + w * Number(first[i]), 0);
    const check = 11 - (sum % 11);
    if (check === 10) continue;
    return first + String(check === 11 ? 0 : check);
  }
}

const say = (line: string) => console.log(line);

// --- the walk-through ---------------------------------------------------------------------------
async function main(): Promise<void> {
  const operator = client(operatorKey);

  async function admit(body: Schemas["OrganisationCreate"]): Promise<{ id: string; key: string }> {
    const org = await operator.POST("/api/v1/organisations", { body });
    check(org.data, `admit ${body.name}: ${JSON.stringify(org.error)}`);
    const key = await operator.POST("/api/v1/organisations/{org_id}/api-keys", {
      params: { path: { org_id: org.data.id } },
      body: { name: "Walk-through admin", role: "admin" },
    });
    check(key.data, `key for ${body.name}: ${JSON.stringify(key.error)}`);
    return { id: org.data.id, key: key.data.key };
  }

  const vendorOrg = await admit({ name: "Šiaurės kodas UAB", kind: "vendor", country: "LT", registration_code: "3" + digits(8) });
  const startupOrg = await admit({ name: "Fjordkode AS", kind: "startup", country: "NO", registration_code: norwegianOrgNumber() });
  const reviewerOrg = await admit({ name: "Teisė ir partneriai UAB", kind: "legal", country: "LT", registration_code: "3" + digits(8) });
  const vendor = client(vendorOrg.key);
  const startup = client(startupOrg.key);
  const reviewer = client(reviewerOrg.key);
  say("admitted a vendor, a start-up and a legal reviewer, each with an admin key");

  const created = await vendor.POST("/api/v1/engagements", {
    body: {
      vendor_id: vendorOrg.id,
      startup_id: startupOrg.id,
      reviewer_id: reviewerOrg.id,
      title: "Nordic payments MVP",
      summary: "A card-less payments MVP for a Norwegian fintech start-up.",
      currency: "EUR",
    },
  });
  check(created.data, `create: ${JSON.stringify(created.error)}`);
  const eid = created.data.id;
  const etag = created.response.headers.get("ETag");
  check(etag === `"${created.data.version}"`, `ETag ${etag}`);
  check(created.response.headers.get("Location") === `/api/v1/engagements/${eid}`, "Location");
  const draft: "draft" = created.data.state === "draft" ? created.data.state : (() => { throw new Error(created.data.state); })();
  say(`created engagement ${eid} (${draft}), ETag ${etag}`);

  const path = { engagement_id: eid };
  const proposal = await vendor.POST("/api/v1/engagements/{engagement_id}/proposals", {
    params: { path },
    body: {
      scope: "A card-less payments MVP for Nordic small businesses.",
      milestones: [
        { key: "m1", title: "Discovery and design", description: "Design of the MVP", due_date: "2027-01-15", fee: 8000.5, acceptance_criteria: "Design approved", acceptance_days: 14 },
        { key: "m2", title: "Core payments flow", description: "The payments flow", due_date: "2027-02-15", fee: 21500, acceptance_criteria: "Tests pass on staging", acceptance_days: 14 },
      ],
      ip_terms: {
        model: "joint",
        background_ip: {
          vendor: { assets: [{ title: "UI kit", description: "React component library" }], licence: "non-exclusive, royalty-free" },
          startup: { assets: [{ title: "Risk model", description: "Credit-risk scoring model" }], licence: "non-exclusive, for the project only" },
        },
        open_source_policy: { allowed_licences: ["MIT", "Apache-2.0", "BSD-3-Clause"], copyleft_requires_approval: true },
        confidentiality_years: 5,
        warranty_days: 90,
        liability_cap_multiple: 1.5,
        source_code_escrow: true,
        governing_law: "NO",
        forum: "courts",
        esignature_level: "advanced",
        shares: { vendor: 40, startup: 60 },
        managing_party: "startup",
        third_party_licensing: "notice",
        notice_days: 30,
        revenue_share: "pro_rata",
      },
    },
  });
  check(proposal.data, `propose: ${JSON.stringify(proposal.error)}`);
  const total: number = proposal.data.total_fee;
  check(total === 29500.5, `total_fee ${total}`);
  say(`revision ${proposal.data.revision}: total fee EUR ${total.toFixed(2)}`);

  const fire = async (who: typeof vendor, action: string, done: () => Promise<{ data?: Schemas["Engagement"]; error?: Problem }>) => {
    const r = await done();
    check(r.data, `${action}: ${JSON.stringify(r.error)}`);
    say(`  ${action} -> ${r.data.state}`);
    return r.data;
  };
  await fire(vendor, "submit_proposal", () => vendor.POST("/api/v1/engagements/{engagement_id}/actions/submit_proposal", { params: { path } }));
  await fire(startup, "accept_proposal", () =>
    startup.POST("/api/v1/engagements/{engagement_id}/actions/accept_proposal", { params: { path }, body: { revision: proposal.data.revision } }),
  );
  await fire(vendor, "generate_contract", () => vendor.POST("/api/v1/engagements/{engagement_id}/actions/generate_contract", { params: { path } }));
  const versions = await vendor.GET("/api/v1/engagements/{engagement_id}/contracts", { params: { path } });
  check(versions.data, "contracts");
  const contract = versions.data.items[versions.data.items.length - 1];
  check(contract, "a contract version");
  await fire(vendor, "submit_for_review", () => vendor.POST("/api/v1/engagements/{engagement_id}/actions/submit_for_review", { params: { path } }));
  await fire(reviewer, "approve", () =>
    reviewer.POST("/api/v1/engagements/{engagement_id}/actions/approve", { params: { path }, body: { document_sha256: contract.sha256 } }),
  );
  for (const [who, name] of [[vendor, "Rūta Jonaitė"], [startup, "Ola Nordmann"]] as const) {
    await fire(who, "sign", () =>
      who.POST("/api/v1/engagements/{engagement_id}/actions/sign", {
        params: { path },
        body: { document_sha256: contract.sha256, signer_name: name, signer_title: "CEO" },
      }),
    );
  }
  const developing = await fire(vendor, "start_development", () =>
    vendor.POST("/api/v1/engagements/{engagement_id}/actions/start_development", { params: { path } }),
  );

  // An action the state does not allow: a 409, read as a typed Problem.
  const again = await vendor.POST("/api/v1/engagements/{engagement_id}/actions/submit_proposal", { params: { path } });
  check(again.error, "submit_proposal again should be refused");
  const refused: Problem = problem(again.error);
  check(refused.status === 409 && again.response.status === 409, `expected 409, got ${refused.status}`);
  say(`  submit_proposal again -> ${refused.status} ${refused.type}: ${refused.detail}`);

  // What the vendor may do now: deliver is offered, disabled, with the guard's reason.
  const offered = developing.available_actions.find((a) => a.action === "deliver");
  check(offered && !offered.enabled && offered.reason, `deliver offered disabled: ${JSON.stringify(offered)}`);
  say(`  deliver is offered but disabled: ${offered.reason}`);

  // The first milestone: start, deliver, submit, accept.
  const m1 = { engagement_id: eid, key: "m1" };
  const started = await vendor.POST("/api/v1/engagements/{engagement_id}/milestones/{key}/actions/start", { params: { path: m1 } });
  check(started.data?.state === "in_progress", `start: ${JSON.stringify(started.error)}`);
  const delivery = await vendor.POST("/api/v1/engagements/{engagement_id}/milestones/{key}/deliveries", {
    params: { path: m1 },
    body: {
      artifact_uri: "https://git.example.lt/fjordkode/releases/v0.1.0.tar.gz",
      checksum: "sha256:" + "ab".repeat(32),
      components: [{ name: "serde", version: "1.0.210", licence: "MIT OR Apache-2.0" }],
    },
  });
  check(delivery.data, `deliver: ${JSON.stringify(delivery.error)}`);
  const submitted = await vendor.POST("/api/v1/engagements/{engagement_id}/milestones/{key}/actions/submit", { params: { path: m1 } });
  check(submitted.data?.state === "submitted", `submit: ${JSON.stringify(submitted.error)}`);
  const accepted = await startup.POST("/api/v1/engagements/{engagement_id}/milestones/{key}/actions/accept", { params: { path: m1 } });
  check(accepted.data, `accept: ${JSON.stringify(accepted.error)}`);
  const state: Schemas["MilestoneState"] = accepted.data.state;
  const fee: number = accepted.data.fee;
  check(state === "accepted" && fee === 8000.5, `m1 ${state} ${fee}`);
  say(`milestone m1 accepted (fee EUR ${fee.toFixed(2)})`);

  // The contract DOCX, with its hash in ETag and Repr-Digest.
  const docx = await reviewer.GET("/api/v1/contracts/{contract_id}/document", {
    params: { path: { contract_id: contract.id } },
    parseAs: "arrayBuffer",
  });
  check(docx.data, `download: ${docx.response.status}`);
  const bytes = new Uint8Array(docx.data);
  check(bytes[0] === 0x50 && bytes[1] === 0x4b, "a DOCX is a zip");
  check(docx.response.headers.get("ETag") === `"${contract.sha256}"`, "ETag is the SHA-256");
  check((docx.response.headers.get("Repr-Digest") ?? "").startsWith("sha-256=:"), "Repr-Digest");
  say(`downloaded contract v${contract.version}: ${bytes.length} bytes, sha256 ${contract.sha256}`);
  say("walk-through complete");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
