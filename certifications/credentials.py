"""Certificates as verifiable credentials: Open Badges 3.0 on the W3C Verifiable Credentials 2.0
data model, signed with a Data Integrity proof (`eddsa-rdfc-2022`), revoked through a Bitstring
Status List, issued by the `did:web` of SITE_URL.

What a credential says
    Every certificate CECOPAM issued (not one recorded from another institution) is an
    `OpenBadgeCredential` whose achievement is the course (name, description, criteria with the
    hours, the UN CPTM alignment for a CPTM course). `validFrom` is the start of the issue day and
    `validUntil` the end of the expiry day, in the centre's time zone (none when it never expires).
    The holder is named by no contact data: `credentialSubject.identifier` holds salted SHA-256
    hashes (one salt per certificate) of the full name and of the service number, which a
    personnel office recomputes from the person in front of it: sha256(value + salt).

How it is signed (W3C vc-di-eddsa, `eddsa-rdfc-2022`)
    Both the credential without its proof and the proof options (with the credential's
    `@context`) are canonicalized with RDFC-1.0 (pyld's URDNA2015, N-Quads), hashed with SHA-256,
    and Ed25519 signs hash(proof options) || hash(credential). `proofValue` is the signature in
    multibase base58-btc ("z..."); `proof` is an array, as 1EdTech's schema requires. JSON-LD
    contexts come from files shipped in certifications/contexts/ (see its README): the document
    loader never goes to the network.

Keys
    CREDENTIAL_SIGNING_KEY (never in the database) signs; its public key and those of
    CREDENTIAL_PREVIOUS_PUBLIC_KEYS are published in /.well-known/did.json, so a credential signed
    before a rotation still verifies. A proof names its key as `did:web:...#<public multikey>`.

Revocation
    Each certificate owns one bit (Certification.status_list_index) of a revocation list of
    131,072 entries; the bit is set while the certificate is revoked or superseded by a renewal
    (a revoked renewal hands currency back to its predecessor, which is cleared again). The signed
    list is stored (StatusList): services bump its version when a bit may change
    (`status_changed`), and the next request for the list re-signs it once.
"""

import base64
import datetime
import functools
import gzip
import hashlib
import json
import os
import re
import secrets
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pyld import jsonld

from .models import Certification, StatusList

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_V3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DATA_INTEGRITY_V2_CONTEXT = "https://w3id.org/security/data-integrity/v2"
DID_V1_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1_CONTEXT = "https://w3id.org/security/multikey/v1"
CRYPTOSUITE = "eddsa-rdfc-2022"

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"
# The only documents the JSON-LD processor may load, each from a file shipped with the code.
CONTEXT_FILES = {
    VC_V2_CONTEXT: "credentials-v2.jsonld",
    OB_V3_CONTEXT: "ob-v3p0-context-3.0.3.json",
    DATA_INTEGRITY_V2_CONTEXT: "data-integrity-v2.jsonld",
}

# A list this long hides which certificate a verifier asks about among many (the Bitstring Status
# List's minimum, 16 KiB).
STATUS_LIST_SIZE = 131_072

ISSUER_NAME = "Centro de Entrenamiento Conjunto de Operaciones de Paz de México (CECOPAM)"
CPTM_ALIGNMENT = {
    "type": ["Alignment"],
    "targetCode": "CPTM",
    "targetName": "Core Pre-Deployment Training Materials (CPTM)",
    "targetDescription": "United Nations Core Pre-Deployment Training Materials for peacekeeping personnel.",
    "targetFramework": "United Nations Peacekeeping Training Standards",
    "targetUrl": "https://peacekeepingresourcehub.un.org/",
}

ED25519_PUBLIC_HEADER = b"\xed\x01"  # multicodec ed25519-pub
ED25519_PRIVATE_HEADER = b"\x80\x26"  # multicodec ed25519-priv
BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


# --- encodings -------------------------------------------------------------------------------


def base58btc_encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    encoded = ""
    while number:
        number, remainder = divmod(number, 58)
        encoded = BASE58_ALPHABET[remainder] + encoded
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + encoded


def base58btc_decode(text: str) -> bytes:
    number = 0
    for char in text:
        index = BASE58_ALPHABET.find(char)
        if index < 0:
            raise ValueError(f"not base58-btc: {char!r}")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def multibase_decode(text: str) -> bytes:
    if not text.startswith("z"):
        raise ValueError("only multibase base58-btc ('z...') is accepted")
    return base58btc_decode(text[1:])


# --- keys ------------------------------------------------------------------------------------


def public_multikey(public_key: Ed25519PublicKey) -> str:
    """The Multikey form of an Ed25519 public key: "z6Mk..."."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58btc_encode(ED25519_PUBLIC_HEADER + raw)


def secret_multikey(private_key: Ed25519PrivateKey) -> str:
    """The Multikey form of an Ed25519 private key (its 32-byte seed): "z3u2..."."""
    raw = private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return "z" + base58btc_encode(ED25519_PRIVATE_HEADER + raw)


def parse_public_multikey(text: str) -> Ed25519PublicKey:
    data = multibase_decode(text.strip())
    if not data.startswith(ED25519_PUBLIC_HEADER) or len(data) != 34:
        raise ValueError("not an Ed25519 public Multikey (z6Mk...)")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def parse_private_key(text: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PKCS#8 PEM, or a multibase Multikey secret: the 32-byte
    seed, or Digital Bazaar's 64 bytes (seed then public key, whose half must match)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the PEM key is not an Ed25519 key")
        return key
    data = multibase_decode(text)
    if not data.startswith(ED25519_PRIVATE_HEADER) or len(data) not in (34, 66):
        raise ValueError("not an Ed25519 private Multikey")
    key = Ed25519PrivateKey.from_private_bytes(data[2:34])
    if len(data) == 66 and public_multikey(key.public_key()) != "z" + base58btc_encode(
        ED25519_PUBLIC_HEADER + data[34:]
    ):
        raise ValueError("the private Multikey's public half does not match its seed")
    return key


def _development_key(path: Path) -> str:
    """The development key kept in `path`, created on first use (atomically: parallel test
    workers or server processes all end up with the one that was written first)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{secrets.token_hex(8)}")
        temporary.write_text(secret_multikey(Ed25519PrivateKey.generate()) + "\n")
        os.chmod(temporary, 0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text()


@functools.lru_cache(maxsize=8)
def _load_private_key(text: str) -> Ed25519PrivateKey:
    return parse_private_key(text)


def signing_key() -> Ed25519PrivateKey:
    """The issuer's private key: CREDENTIAL_SIGNING_KEY, or in development the key under var/."""
    text = settings.CREDENTIAL_SIGNING_KEY
    if not text:
        if settings.CREDENTIAL_DEVELOPMENT_KEY_FILE is None:
            raise ImproperlyConfigured("CREDENTIAL_SIGNING_KEY is not set: certificates cannot be signed.")
        text = _development_key(Path(settings.CREDENTIAL_DEVELOPMENT_KEY_FILE))
    try:
        return _load_private_key(text.strip())
    except ValueError as error:
        raise ImproperlyConfigured(f"CREDENTIAL_SIGNING_KEY: {error}") from error


def published_keys() -> list[str]:
    """The public Multikeys in the DID document: the signing key first, then earlier ones."""
    keys = [public_multikey(signing_key().public_key())]
    for text in settings.CREDENTIAL_PREVIOUS_PUBLIC_KEYS:
        try:
            parse_public_multikey(text)
        except ValueError as error:
            raise ImproperlyConfigured(f"CREDENTIAL_PREVIOUS_PUBLIC_KEYS: {text}: {error}") from error
        if text.strip() not in keys:
            keys.append(text.strip())
    return keys


# --- the issuer ------------------------------------------------------------------------------


def issuer_did(site_url=None) -> str:
    """did:web of SITE_URL: the host, its port percent-encoded, then any path segments
    (http://localhost:8000 -> did:web:localhost%3A8000)."""
    parts = urlsplit(site_url or settings.SITE_URL)
    segments = [quote(parts.netloc, safe="")] + [quote(s, safe="") for s in parts.path.split("/") if s]
    return "did:web:" + ":".join(segments)


def verification_method_id(public_key: str) -> str:
    return f"{issuer_did()}#{public_key}"


def did_document() -> dict:
    """The issuer's DID document, served at /.well-known/did.json."""
    did = issuer_did()
    methods = [
        {"id": verification_method_id(key), "type": "Multikey", "controller": did, "publicKeyMultibase": key}
        for key in published_keys()
    ]
    return {
        "@context": [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }


# --- JSON-LD ---------------------------------------------------------------------------------


class OfflineDocumentLoaderError(jsonld.JsonLdError):
    pass


@functools.cache
def _context_document(url: str) -> dict:
    return json.loads((CONTEXTS_DIR / CONTEXT_FILES[url]).read_text(encoding="utf-8"))


def document_loader(url, options=None):
    """pyld's document loader: only the contexts shipped in certifications/contexts/, from disk.
    Anything else is an error; nothing is fetched from the network."""
    if url not in CONTEXT_FILES:
        raise OfflineDocumentLoaderError(
            f"Refusing to load {url!r}: only the shipped JSON-LD contexts are available.",
            "jsonld.LoadDocumentError",
            code="loading document failed",
        )
    return {"contextUrl": None, "documentUrl": url, "document": _context_document(url)}


def canonicalize(document: dict) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (pyld's URDNA2015)."""
    return jsonld.normalize(
        document,
        {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": document_loader},
    )


def proof_hashes(document: dict, proof_options: dict) -> tuple[bytes, bytes]:
    """(SHA-256 of the canonical proof configuration, SHA-256 of the canonical document), per
    vc-di-eddsa: the proof configuration carries the document's @context and no proofValue."""
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    config = {key: value for key, value in proof_options.items() if key != "proofValue"}
    config = {"@context": unsecured["@context"], **config}
    return (
        hashlib.sha256(canonicalize(config).encode()).digest(),
        hashlib.sha256(canonicalize(unsecured).encode()).digest(),
    )


def sign(document: dict, *, private_key=None, verification_method=None, created=None) -> dict:
    """A copy of `document` with a DataIntegrityProof (eddsa-rdfc-2022) appended to its `proof` array."""
    private_key = private_key or signing_key()
    if verification_method is None:
        verification_method = verification_method_id(public_multikey(private_key.public_key()))
    created = created or timezone.now().astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    proof = {
        "type": "DataIntegrityProof",
        "created": created,
        "verificationMethod": verification_method,
        "cryptosuite": CRYPTOSUITE,
        "proofPurpose": "assertionMethod",
    }
    config_hash, document_hash = proof_hashes(document, proof)
    proof["proofValue"] = "z" + base58btc_encode(private_key.sign(config_hash + document_hash))
    previous = document.get("proof", [])
    return {**document, "proof": [*(previous if isinstance(previous, list) else [previous]), proof]}


def verify(document: dict, public_keys=None) -> bool:
    """Whether every proof of `document` is a valid eddsa-rdfc-2022 signature by one of the
    issuer's published keys (or `public_keys`: {verification method id: Multikey})."""
    if public_keys is None:
        public_keys = {verification_method_id(key): key for key in published_keys()}
    proofs = document.get("proof")
    proofs = proofs if isinstance(proofs, list) else [proofs] if proofs else []
    if not proofs:
        return False
    for proof in proofs:
        key = public_keys.get(proof.get("verificationMethod"))
        if key is None or proof.get("cryptosuite") != CRYPTOSUITE or not proof.get("proofValue", "").startswith("z"):
            return False
        config_hash, document_hash = proof_hashes(document, proof)
        try:
            parse_public_multikey(key).verify(multibase_decode(proof["proofValue"]), config_hash + document_hash)
        except Exception:  # noqa: BLE001 (an invalid signature or a malformed value: not verified)
            return False
    return True


# --- the certificate as an OpenBadgeCredential ----------------------------------------------


def site_url(path: str) -> str:
    return settings.SITE_URL + path


def is_cptm_course(course) -> bool:
    """A course built on the UN Core Pre-Deployment Training Materials: the catalogue says so by
    naming CPTM in its code or title (code "CPTM", "Capacitación básica previa al despliegue (CPTM)")."""
    return bool(re.search(r"\bCPTM\b", f"{course.code} {course.title}", flags=re.IGNORECASE))


def _local_datetime(day: datetime.date, time: datetime.time) -> str:
    zone = timezone.get_default_timezone()
    return datetime.datetime.combine(day, time, tzinfo=zone).isoformat()


def hashed_identity(value: str, salt: str, identity_type: str) -> dict:
    """An OB 3.0 IdentityObject: sha256 of the value followed by the salt (UTF-8, hex)."""
    digest = hashlib.sha256(f"{value}{salt}".encode()).hexdigest()
    return {
        "type": "IdentityObject",
        "identityHash": f"sha256${digest}",
        "identityType": identity_type,
        "hashed": True,
        "salt": salt,
    }


def _achievement(certification) -> dict:
    course = certification.enrollment.session.course if certification.enrollment_id else None
    if course is None:
        return {
            "id": uuid.uuid5(uuid.NAMESPACE_URL, site_url(f"/certification-types/{certification.type.code}")).urn,
            "type": ["Achievement"],
            "achievementType": "Certification",
            "name": certification.type.name,
            "description": certification.type.description or certification.type.name,
            "criteria": {
                "narrative": _("Certification recorded by CECOPAM: %(name)s.") % {"name": certification.type.name}
            },
            "humanCode": certification.type.code,
            "inLanguage": "es",
        }
    narrative = _("Completed the %(hours)s-hour course %(title)s (%(code)s) at CECOPAM and passed its assessment.") % {
        "hours": course.duration_hours,
        "title": course.title,
        "code": course.code,
    }
    if course.pass_mark is not None:
        narrative += " " + _("Pass mark: %(mark)s/100.") % {"mark": course.pass_mark}
    achievement = {
        "id": site_url(course.get_absolute_url()),
        "type": ["Achievement"],
        "achievementType": "Certification",
        "name": course.title,
        "description": course.description or course.title,
        "criteria": {"narrative": narrative},
        "humanCode": course.code,
        "fieldOfStudy": str(course.get_category_display()),
        "inLanguage": "es",
    }
    if is_cptm_course(course):
        achievement["alignment"] = [CPTM_ALIGNMENT]
    return achievement


def status_list_position(index: int) -> tuple[int, int]:
    """(list number, counting from 1; position in that list) of a global status list index."""
    return index // STATUS_LIST_SIZE + 1, index % STATUS_LIST_SIZE


def status_list_url(number: int) -> str:
    return site_url(reverse("certifications:status-list", args=[number]))


def unsigned_credential(certification) -> dict:
    """The OpenBadgeCredential of a certificate CECOPAM issued, before its proof.
    Its text is in the site's default language (Spanish), whoever asks."""
    trainee = certification.trainee
    salt = certification.credential_salt.hex
    number, position = status_list_position(certification.status_list_index)
    list_url = status_list_url(number)
    with translation.override(settings.LANGUAGE_CODE):
        subject = {
            "type": ["AchievementSubject"],
            "identifier": [
                hashed_identity(trainee.full_name, salt, "name"),
                hashed_identity(trainee.service_number, salt, "ext:serviceNumber"),
            ],
            "achievement": _achievement(certification),
        }
        if certification.enrollment_id:
            session = certification.enrollment.session
            subject["activityStartDate"] = _local_datetime(session.starts_on, datetime.time.min)
            subject["activityEndDate"] = _local_datetime(session.ends_on, datetime.time(23, 59, 59))
        # No `credentialSchema`: 1EdTech names its validator type "1EdTechJsonSchemaValidator2019",
        # which neither context defines, so verifiers canonicalizing in safe mode (Digital
        # Bazaar's) refuse the credential. It is optional; the credential conforms to that schema.
        credential = {
            "@context": [VC_V2_CONTEXT, OB_V3_CONTEXT],
            "id": site_url(reverse("verify", args=[certification.code])),
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": issuer_did(), "type": ["Profile"], "name": ISSUER_NAME, "url": settings.SITE_URL},
            "name": certification.type.name,
            "validFrom": _local_datetime(certification.issued_on, datetime.time.min),
            "credentialSubject": subject,
            "credentialStatus": {
                "id": f"{list_url}#{position}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": str(position),
                "statusListCredential": list_url,
            },
        }
    if certification.expires_on is not None:
        credential["validUntil"] = _local_datetime(certification.expires_on, datetime.time(23, 59, 59))
    return credential


def issues_credential(certification) -> bool:
    """CECOPAM vouches only for what it issued: not for a certificate recorded from elsewhere."""
    return not certification.is_external


def certification_credential(certification) -> dict:
    """The signed OpenBadgeCredential of a certificate CECOPAM issued (what
    /certifications/<id>/credential.json serves). `certification` should come with its trainee,
    type and enrolment's session and course selected."""
    if not issues_credential(certification):
        raise ValueError("CECOPAM issues no credential for a certificate from another institution.")
    return sign(unsigned_credential(certification))


# --- the status list -------------------------------------------------------------------------


def status_changed(certification_ids) -> None:
    """Mark the status lists holding these certificates for re-signing (their revoked or
    superseded state may have changed). Called by the services, inside their transaction."""
    indexes = Certification.objects.filter(pk__in=certification_ids).values_list("status_list_index", flat=True)
    numbers = {status_list_position(index)[0] for index in indexes}
    if numbers:
        StatusList.objects.filter(number__in=numbers).update(version=F("version") + 1)


def encode_bitstring(positions, size=STATUS_LIST_SIZE) -> str:
    """The Bitstring Status List `encodedList`: multibase base64url (no padding) of the GZIP of
    the bitstring, whose first bit (the most significant of byte 0) is position 0."""
    bits = bytearray(size // 8)
    for position in positions:
        bits[position // 8] |= 0x80 >> (position % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode()


def decode_bitstring(encoded: str) -> bytes:
    data = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))


def last_status_list_number() -> int:
    last = Certification.objects.order_by("-status_list_index").values_list("status_list_index", flat=True).first()
    return status_list_position(last)[0] if last is not None else 0


def _set_positions(number: int) -> list[int]:
    start = (number - 1) * STATUS_LIST_SIZE
    indexes = (
        Certification.objects.filter(status_list_index__gte=start, status_list_index__lt=start + STATUS_LIST_SIZE)
        .filter(Q(revoked_at__isnull=False) | Q(superseded_by__isnull=False))
        .values_list("status_list_index", flat=True)
    )
    return [index - start for index in indexes]


def build_status_list_credential(number: int) -> dict:
    """The signed BitstringStatusListCredential of list `number`, from the certificates' states now."""
    url = status_list_url(number)
    credential = {
        "@context": [VC_V2_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did(),
        "validFrom": timezone.now().astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_bitstring(_set_positions(number)),
        },
    }
    return sign(credential)


def status_list_credential(number: int) -> dict | None:
    """The stored, signed status list `number`, re-signed first if a service changed it since
    (None for a list no certificate belongs to). The re-signing holds the list's row lock, so a
    revocation committing meanwhile waits and bumps the version again for the next request."""
    if not 1 <= number <= last_status_list_number():
        return None
    stored = StatusList.objects.filter(number=number).first()
    if stored is not None and stored.signed_version == stored.version and stored.credential:
        return stored.credential
    with transaction.atomic():
        StatusList.objects.get_or_create(number=number)
        stored = StatusList.objects.select_for_update().get(number=number)
        if stored.signed_version != stored.version or not stored.credential:
            stored.credential = build_status_list_credential(number)
            stored.signed_version = stored.version
            stored.signed_at = timezone.now()
            stored.save(update_fields=["credential", "signed_version", "signed_at"])
    return stored.credential
