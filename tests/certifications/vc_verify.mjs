// Verifies credentials with independent code: Digital Bazaar's @digitalbazaar/vc, its
// eddsa-rdfc-2022 cryptosuite, Data Integrity, Ed25519 Multikey and Bitstring Status List.
// Run by tests/certifications/test_credentials.py: `node vc_verify.mjs INPUT.json`, where INPUT holds
//   {contexts: {url: document}, documents: {url: document}, didDocument, cases: [{name, credential, now}]}
// and it prints {name: {verified, error, revoked, statusVerified}} as JSON. Its document loader
// answers only from INPUT (the shipped contexts, the issuer's DID document, the status lists):
// nothing is fetched, as for a personnel office checking a file offline.
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const did = input.didDocument.id;

async function documentLoader(url) {
  if(url in input.contexts) {
    return {contextUrl: null, documentUrl: url, document: input.contexts[url]};
  }
  if(url in input.documents) {
    return {contextUrl: null, documentUrl: url, document: input.documents[url]};
  }
  const [base, fragment] = url.split('#');
  if(base === did) {
    if(!fragment) {
      return {contextUrl: null, documentUrl: url, document: input.didDocument};
    }
    const method = input.didDocument.verificationMethod.find(vm => vm.id === url);
    if(method) {
      return {
        contextUrl: null,
        documentUrl: url,
        document: {'@context': 'https://w3id.org/security/multikey/v1', ...method},
      };
    }
  }
  throw new Error(`Document not available offline: ${url}`);
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
const results = {};
for(const {name, credential, now} of input.cases) {
  const result = await vc.verifyCredential({
    credential,
    suite,
    documentLoader,
    checkStatus,
    now: now ? new Date(now) : new Date(),
  });
  const error = result.error || (result.results || []).find(r => r.error)?.error;
  const statusResult = result.statusResult;
  results[name] = {
    verified: result.verified,
    error: error ? String(error.message || error) +
      (error.errors ? ' ' + error.errors.map(e => e.message).join('; ') : '') : null,
    statusVerified: statusResult ? statusResult.verified : null,
    revoked: statusResult && statusResult.results ?
      statusResult.results.some(r => r.status === true) : null,
  };
}
process.stdout.write(JSON.stringify(results));
