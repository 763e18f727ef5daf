"""Certificates as verifiable credentials (certifications/credentials.py), checked against what others
published and by code that is not ours: 1EdTech's eddsa-rdfc-2022 test vector, 1EdTech's JSON schema,
and Digital Bazaar's verifier run with node (tests/certifications/vc_verify.mjs)."""

import datetime
import hashlib
import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import jsonschema
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from pyld import jsonld

from certifications import credentials, services
from certifications.models import Certification, StatusList
from tests import factories
from tests.certifications.documents_helpers import cecopam_certification, name_the_holder, use_private_cache

DATA = Path(__file__).resolve().parent / "data"
VERIFIER = Path(__file__).resolve().parent / "vc_verify.mjs"
SITE = "http://localhost:8000"
ISSUER = "did:web:localhost%3A8000"
# A fixed key for these tests, so that a failure is reproducible.
TEST_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture(autouse=True)
def credential_settings(settings):
    use_private_cache(settings)
    settings.SITE_URL = SITE
    settings.CREDENTIAL_SIGNING_KEY = credentials.secret_multikey(TEST_KEY)
    settings.CREDENTIAL_PREVIOUS_PUBLIC_KEYS = []
    return settings


@pytest.fixture
def vector():
    return json.loads((DATA / "ob_v3p0_eddsa_rdfc_2022_vector.json").read_text())


@pytest.fixture
def schema():
    return json.loads((DATA / "ob_v3p0_achievementcredential_schema.json").read_text())


def cptm_certification(trainee, **kwargs):
    """A CECOPAM certificate of a CPTM course whose description has accents, a tab and a newline
    (characters on which canonical N-Quads implementations have differed)."""
    certification = cecopam_certification(trainee, title="Capacitación básica previa al despliegue (CPTM)", **kwargs)
    course = certification.enrollment.session.course
    course.code = f"CPTM-B{certification.pk}"
    course.description = 'Principios del mantenimiento de la paz:\n\tmandatos, "conducta" y disciplina.'
    course.pass_mark = 70
    course.save()
    return Certification.objects.select_related("trainee", "type", "enrollment__session__course").get(
        pk=certification.pk
    )


@pytest.fixture
def holder(trainee_user):
    return name_the_holder(trainee_user.trainee)


@pytest.fixture
def certification(holder):
    return cptm_certification(holder, ends_on=timezone.localdate() - datetime.timedelta(days=30))


# --- 1EdTech's published test vector ----------------------------------------------------------


@pytest.mark.django_db(databases=[])
def test_reproduces_1edtechs_ob3_eddsa_rdfc_2022_test_vector_exactly(vector):
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(vector["privateKeyHex"])[:32])
    assert (
        key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
        == (vector["publicKeyHex"])
    )
    assert credentials.public_multikey(key.public_key()) == vector["publicKeyMultibase"]
    # Digital Bazaar's 64-byte secret Multikey names the same key.
    assert credentials.secret_multikey(credentials.parse_private_key(vector["secretKeyMultibase"])) == (
        credentials.secret_multikey(key)
    )

    document, options = vector["credential"], vector["proofOptions"]
    assert credentials.canonicalize(document) == (DATA / vector["documentCanonicalFile"]).read_text()
    proof_config = {"@context": document["@context"], **options}
    assert credentials.canonicalize(proof_config) == (DATA / vector["proofCanonicalFile"]).read_text()

    proof_hash, document_hash = credentials.proof_hashes(document, options)
    assert document_hash.hex() == vector["documentHashHex"]
    assert proof_hash.hex() == vector["proofHashHex"]
    assert (proof_hash + document_hash).hex() == vector["dataToSignHex"]

    signed = credentials.sign(
        document, private_key=key, verification_method=options["verificationMethod"], created=options["created"]
    )
    proof = signed["proof"][0]
    assert key.sign(proof_hash + document_hash).hex() == vector["signatureHex"]
    assert proof["proofValue"] == vector["proofValue"]
    assert proof == {**options, "proofValue": vector["proofValue"]}
    assert credentials.verify(signed, {options["verificationMethod"]: vector["publicKeyMultibase"]})


@pytest.mark.django_db(databases=[])
def test_document_loader_serves_only_the_shipped_contexts_and_never_the_network(monkeypatch, vector):
    def no_network(*args, **kwargs):
        raise AssertionError("the JSON-LD processor tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    credentials.canonicalize(vector["credential"])  # every context it needs is shipped

    unknown = {**vector["credential"], "@context": [credentials.VC_V2_CONTEXT, "https://example.com/other.jsonld"]}
    with pytest.raises(jsonld.JsonLdError):
        credentials.canonicalize(unknown)
    with pytest.raises(credentials.OfflineDocumentLoaderError):
        credentials.document_loader("https://www.w3.org/2018/credentials/v1")
    for url, name in credentials.CONTEXT_FILES.items():
        assert credentials.document_loader(url)["document"] == json.loads((credentials.CONTEXTS_DIR / name).read_text())


# --- what a credential says --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("site_url", "did"),
    [
        ("http://localhost:8000", "did:web:localhost%3A8000"),
        ("https://cecopam.example.mx", "did:web:cecopam.example.mx"),
        ("https://example.org/cecopam/records/", "did:web:example.org:cecopam:records"),
    ],
)
def test_issuer_is_the_did_web_of_the_site_url(site_url, did):
    assert credentials.issuer_did(site_url) == did


@pytest.mark.django_db
def test_credential_is_an_open_badge_of_the_course_without_contact_data(certification, holder, vector):
    signed = credentials.certification_credential(certification)

    assert signed["@context"] == [vector["credential"]["@context"][0], vector["credential"]["@context"][1]]
    assert signed["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert signed["issuer"]["id"] == ISSUER
    assert signed["issuer"]["type"] == ["Profile"]
    assert signed["id"] == f"{SITE}/verify/{certification.code}/"
    # The issue day's start and the expiry day's end, in the centre's time zone (Mexico City, UTC-6).
    assert signed["validFrom"] == f"{certification.issued_on.isoformat()}T00:00:00-06:00"
    assert signed["validUntil"] == f"{certification.expires_on.isoformat()}T23:59:59-06:00"

    achievement = signed["credentialSubject"]["achievement"]
    course = certification.enrollment.session.course
    assert achievement["name"] == "Capacitación básica previa al despliegue (CPTM)"
    assert achievement["description"] == course.description
    assert achievement["humanCode"] == course.code
    assert "60" in achievement["criteria"]["narrative"] and "70/100" in achievement["criteria"]["narrative"]
    assert achievement["alignment"][0]["targetCode"] == "CPTM"
    assert achievement["id"] == f"{SITE}/courses/{course.pk}/"

    identifiers = {item["identityType"]: item for item in signed["credentialSubject"]["identifier"]}
    salt = certification.credential_salt.hex
    for identity_type, value in (("name", "María José Núñez Ibáñez"), ("ext:serviceNumber", holder.service_number)):
        item = identifiers[identity_type]
        assert item["hashed"] is True and item["salt"] == salt
        assert item["identityHash"] == "sha256$" + hashlib.sha256(f"{value}{salt}".encode()).hexdigest()
    text = json.dumps(signed, ensure_ascii=False)
    for personal in (holder.email, holder.phone, holder.full_name, holder.service_number, "María José"):
        assert personal not in text

    assert isinstance(signed["proof"], list) and len(signed["proof"]) == 1
    proof = signed["proof"][0]
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["verificationMethod"] == f"{ISSUER}#{credentials.public_multikey(TEST_KEY.public_key())}"
    assert proof["proofValue"].startswith("z")
    assert credentials.verify(signed)

    status = signed["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
    assert status["statusListCredential"] == f"{SITE}/credentials/status/1.json"
    assert int(status["statusListIndex"]) == certification.status_list_index % credentials.STATUS_LIST_SIZE


@pytest.mark.django_db
def test_a_certification_that_never_expires_has_no_valid_until_and_each_certificate_its_own_salt(holder):
    first = cecopam_certification(holder)
    first.type.validity_months = None
    first.type.save()
    second = factories.CertificationFactory(trainee=holder, type=first.type, issued_on=first.issued_on, expires_on=None)
    second = Certification.objects.get(pk=second.pk)
    assert "validUntil" not in credentials.certification_credential(second)
    assert second.credential_salt != Certification.objects.get(pk=first.pk).credential_salt
    assert second.status_list_index != Certification.objects.get(pk=first.pk).status_list_index


@pytest.mark.django_db
def test_no_credential_for_a_certificate_from_another_institution(holder):
    external = factories.CertificationFactory(trainee=holder, issuer="Escuela de la ONU en Brindisi")
    assert not credentials.issues_credential(external)
    with pytest.raises(ValueError):
        credentials.certification_credential(external)


@pytest.mark.django_db
def test_credential_is_valid_against_1edtechs_json_schema(certification, schema):
    signed = credentials.certification_credential(certification)
    validator = jsonschema.Draft201909Validator(schema, format_checker=jsonschema.FormatChecker())
    assert list(validator.iter_errors(signed)) == []
    # The schema is not a formality: it refuses a proof that is not an array.
    assert list(validator.iter_errors({**signed, "proof": signed["proof"][0]}))


@pytest.mark.django_db
def test_status_list_index_is_unique_stable_and_given_to_bulk_inserts_too(holder):
    certification = cecopam_certification(holder)
    index = certification.status_list_index
    certification.save()
    certification.refresh_from_db()
    assert certification.status_list_index == index
    type_ = factories.CertificationTypeFactory()
    bulk = Certification.objects.bulk_create(
        [Certification(trainee=holder, type=type_, issued_on=datetime.date(2024, 1, day)) for day in (1, 2)]
    )
    indexes = [item.status_list_index for item in bulk]
    assert len({index, *indexes}) == 3 and all(isinstance(value, int) for value in indexes)


# --- keys --------------------------------------------------------------------------------------


@pytest.mark.django_db(databases=[])
def test_signing_key_from_pem_or_multikey_and_refused_when_missing_in_production(settings, tmp_path):
    pem = TEST_KEY.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    settings.CREDENTIAL_SIGNING_KEY = pem
    assert credentials.published_keys() == [credentials.public_multikey(TEST_KEY.public_key())]

    settings.CREDENTIAL_SIGNING_KEY = ""
    settings.CREDENTIAL_DEVELOPMENT_KEY_FILE = None
    with pytest.raises(ImproperlyConfigured):
        credentials.signing_key()

    settings.CREDENTIAL_SIGNING_KEY = "zNotAKey"
    with pytest.raises(ImproperlyConfigured):
        credentials.signing_key()

    # Development: generated once under var/ and reused.
    settings.CREDENTIAL_SIGNING_KEY = ""
    settings.CREDENTIAL_DEVELOPMENT_KEY_FILE = tmp_path / "var" / "credential-signing-key"
    first = credentials.public_multikey(credentials.signing_key().public_key())
    assert credentials.public_multikey(credentials.signing_key().public_key()) == first
    assert settings.CREDENTIAL_DEVELOPMENT_KEY_FILE.stat().st_mode & 0o077 == 0

    settings.CREDENTIAL_PREVIOUS_PUBLIC_KEYS = ["z6MkNotAKey"]
    with pytest.raises(ImproperlyConfigured):
        credentials.published_keys()


@pytest.mark.django_db
def test_did_document_publishes_the_signing_key_and_previous_ones(client, settings):
    previous = credentials.public_multikey(Ed25519PrivateKey.generate().public_key())
    settings.CREDENTIAL_PREVIOUS_PUBLIC_KEYS = [previous]
    response = client.get("/.well-known/did.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/did+ld+json"
    assert response["Access-Control-Allow-Origin"] == "*"
    document = response.json()
    current = credentials.public_multikey(TEST_KEY.public_key())
    assert document["id"] == ISSUER
    assert [method["publicKeyMultibase"] for method in document["verificationMethod"]] == [current, previous]
    assert all(
        method["type"] == "Multikey" and method["controller"] == ISSUER for method in document["verificationMethod"]
    )
    assert document["assertionMethod"] == [f"{ISSUER}#{current}", f"{ISSUER}#{previous}"]


# --- the download ------------------------------------------------------------------------------


def credential_url(certification):
    return reverse("certifications:credential", args=[certification.pk])


@pytest.mark.django_db
def test_holder_and_administrators_download_it_others_are_refused(
    client, certification, trainee_user, other_trainee_user, instructor, admin_user
):
    url = credential_url(certification)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    for user, status in ((trainee_user, 200), (other_trainee_user, 404), (instructor, 404), (admin_user, 200)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user
        if status == 200:
            assert response["Content-Type"] == "application/vc+ld+json"
            assert response["Content-Disposition"] == f'attachment; filename="credential-{certification.code}.json"'
            assert response["Cache-Control"] == "private, no-store"
            assert credentials.verify(json.loads(response.content))


@pytest.mark.django_db
def test_no_download_once_revoked_nor_for_an_external_certificate(client, certification, trainee_user, admin_user):
    external = factories.CertificationFactory(trainee=trainee_user.trainee, issuer="Otra institución")
    client.force_login(trainee_user)
    assert client.get(credential_url(external)).status_code == 404
    services.revoke_certification(certification=certification, reason="Error de captura", by=admin_user)
    assert client.get(credential_url(certification)).status_code == 410


# --- the status list ---------------------------------------------------------------------------


def status_bit(status_list, position):
    bits = credentials.decode_bitstring(status_list["credentialSubject"]["encodedList"])
    assert len(bits) * 8 >= 131_072
    return bool(bits[position // 8] & (0x80 >> (position % 8)))


@pytest.mark.django_db
def test_status_list_is_public_signed_stored_and_re_signed_after_a_revocation(
    client, certification, admin_user, django_assert_max_num_queries
):
    position = certification.status_list_index % credentials.STATUS_LIST_SIZE
    url = reverse("certifications:status-list", args=[1])
    first = client.get(url)
    assert first.status_code == 200 and first["Content-Type"] == "application/vc+ld+json"
    assert first["Access-Control-Allow-Origin"] == "*" and "max-age=60" in first["Cache-Control"]
    status_list = first.json()
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert status_list["issuer"] == ISSUER
    assert credentials.verify(status_list)
    assert status_bit(status_list, position) is False

    # Stored: served again as it was, without signing anew (one query).
    with django_assert_max_num_queries(2):
        assert client.get(url).json() == status_list

    services.revoke_certification(certification=certification, reason="Error de captura", by=admin_user)
    assert StatusList.objects.get(number=1).version == 1
    revoked = client.get(url).json()
    assert status_bit(revoked, position) is True
    assert credentials.verify(revoked)
    assert client.get(reverse("certifications:status-list", args=[2])).status_code == 404


@pytest.mark.django_db
def test_supersession_sets_the_bit_and_revoking_the_renewal_clears_it(client, holder, admin_user):
    old = cecopam_certification(holder, ends_on=datetime.date(2024, 3, 15))
    url = reverse("certifications:status-list", args=[1])
    assert status_bit(client.get(url).json(), old.status_list_index) is False
    renewal = services.issue_certification(trainee=holder, type=old.type, issued_on=datetime.date(2025, 3, 15))
    assert status_bit(client.get(url).json(), old.status_list_index) is True
    assert status_bit(client.get(url).json(), renewal.status_list_index) is False
    services.revoke_certification(certification=renewal, reason="Emitido por error", by=admin_user)
    status_list = client.get(url).json()
    assert status_bit(status_list, old.status_list_index) is False
    assert status_bit(status_list, renewal.status_list_index) is True


# --- Digital Bazaar's verifier -----------------------------------------------------------------


def run_verifier(tmp_path, client, cases):
    """Verify `cases` ({name: credential}) with tests/certifications/vc_verify.mjs, given our shipped
    contexts, the DID document and status list as this site serves them."""
    if shutil.which("node") is None:
        pytest.fail("node is required to verify credentials with Digital Bazaar's verifier")
    contexts = {url: credentials.document_loader(url)["document"] for url in credentials.CONTEXT_FILES}
    status_url = f"{SITE}/credentials/status/1.json"
    payload = {
        "contexts": contexts,
        "documents": {status_url: client.get("/credentials/status/1.json").json()},
        "didDocument": client.get("/.well-known/did.json").json(),
        "cases": [{"name": name, "credential": credential, "now": now} for name, (credential, now) in cases.items()],
    }
    path = tmp_path / "input.json"
    path.write_text(json.dumps(payload))
    result = subprocess.run(
        ["node", str(VERIFIER), str(path)], capture_output=True, text=True, timeout=120, cwd=VERIFIER.parents[2]
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.django_db
def test_digital_bazaar_verifies_our_credentials(tmp_path, client, holder, admin_user, settings):
    today = timezone.localdate()
    valid = cptm_certification(holder, ends_on=today - datetime.timedelta(days=30))
    other = factories.TraineeFactory()
    revoked = cptm_certification(other, ends_on=today - datetime.timedelta(days=60))
    expired = cptm_certification(factories.TraineeFactory(), ends_on=today - datetime.timedelta(days=800))
    expired.expires_on = today - datetime.timedelta(days=10)
    expired.save()
    never = cptm_certification(factories.TraineeFactory())
    never.expires_on = None
    never.save()

    valid_credential = credentials.certification_credential(valid)
    revoked_credential = credentials.certification_credential(revoked)  # downloaded while still valid
    services.revoke_certification(certification=revoked, reason="Fraude en la evaluación", by=admin_user)
    renamed = json.loads(json.dumps(valid_credential))
    renamed["credentialSubject"]["achievement"]["name"] = "Curso de Estado Mayor de la ONU"
    redated = {**valid_credential, "validFrom": valid_credential["validFrom"].replace("T00:00:00", "T00:00:01")}
    extended = {**valid_credential, "validUntil": "2099-12-31T23:59:59-06:00"}

    # Key rotation: a credential signed with the old key still verifies once the key changes.
    rotated_key = Ed25519PrivateKey.generate()
    settings.CREDENTIAL_PREVIOUS_PUBLIC_KEYS = [credentials.public_multikey(TEST_KEY.public_key())]
    settings.CREDENTIAL_SIGNING_KEY = credentials.secret_multikey(rotated_key)
    new_key_credential = credentials.certification_credential(Certification.objects.get(pk=never.pk))
    # Recorded by CECOPAM without an enrolment (e.g. from its archives): the achievement is the type.
    without_course = credentials.certification_credential(
        factories.CertificationFactory(trainee=factories.TraineeFactory(), type__description="Archivo histórico")
    )
    assert without_course["credentialSubject"]["achievement"]["id"].startswith("urn:uuid:")

    results = run_verifier(
        tmp_path,
        client,
        {
            "valid": (valid_credential, None),
            "renamed": (renamed, None),
            "redated": (redated, None),
            "extended": (extended, None),
            "expired": (credentials.certification_credential(expired), None),
            "revoked": (revoked_credential, None),
            "never_expires_new_key": (new_key_credential, None),
            "valid_later_than_valid_until": (valid_credential, "2099-01-01T00:00:00Z"),
            "without_course": (without_course, None),
        },
    )
    assert results["without_course"]["verified"] is True, results["without_course"]
    assert results["valid"] == {"verified": True, "error": None, "statusVerified": True, "revoked": False}
    for tampered in ("renamed", "redated", "extended"):
        assert results[tampered]["verified"] is False, results[tampered]
        assert "Invalid signature" in results[tampered]["error"], results[tampered]
    assert results["expired"]["verified"] is False
    assert "validUntil" in results["expired"]["error"]
    assert results["valid_later_than_valid_until"]["verified"] is False
    assert "validUntil" in results["valid_later_than_valid_until"]["error"]
    # The signature of a revoked credential still holds: the status list says it is revoked.
    assert results["revoked"]["statusVerified"] is True and results["revoked"]["revoked"] is True
    assert results["never_expires_new_key"] == {
        "verified": True,
        "error": None,
        "statusVerified": True,
        "revoked": False,
    }

    # Without the old public key published, the old credential no longer verifies.
    settings.CREDENTIAL_PREVIOUS_PUBLIC_KEYS = []
    assert run_verifier(tmp_path, client, {"valid": (valid_credential, None)})["valid"]["verified"] is False


# --- the public verification page --------------------------------------------------------------


@pytest.mark.django_db
def test_verify_page_explains_the_offline_check_and_links_the_credential_for_its_holder(
    client, certification, trainee_user
):
    url = reverse("verify", args=[certification.code])
    page = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert "/.well-known/did.json" in page
    assert ISSUER in page
    assert "offline" in page
    assert credential_url(certification) not in page

    client.force_login(trainee_user)
    page = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert credential_url(certification) in page

    client.logout()
    page = client.get(url, headers={"accept-language": "es"}).content.decode()
    assert "sin conexión" in page


@pytest.mark.django_db
def test_the_holder_downloads_it_from_their_record_beside_the_pdf(client, certification, trainee_user, admin_user):
    client.force_login(trainee_user)
    page = client.get(reverse("reports:me"), headers={"accept-language": "en"}).content.decode()
    assert credential_url(certification) in page
    assert "Digital credential (JSON)" in page
    services.revoke_certification(certification=certification, reason="Error de captura", by=admin_user)
    page = client.get(reverse("reports:me"), headers={"accept-language": "en"}).content.decode()
    assert credential_url(certification) not in page


@pytest.mark.django_db(transaction=True)
def test_a_revocation_committed_while_the_list_is_being_re_signed_is_not_lost(holder, admin_user, monkeypatch):
    first = cecopam_certification(holder, ends_on=datetime.date(2025, 3, 14))
    second = cecopam_certification(factories.TraineeFactory(), ends_on=datetime.date(2025, 3, 14))
    credentials.status_list_credential(1)
    services.revoke_certification(certification=first, reason="Error de captura", by=admin_user)

    # The re-signing reads the list's bits, then waits while the second revocation starts.
    read, release = threading.Event(), threading.Event()
    original = credentials._set_positions

    def slow_positions(number):
        positions = original(number)
        read.set()
        assert release.wait(20)
        return positions

    monkeypatch.setattr(credentials, "_set_positions", slow_positions)
    errors = []

    def run(work):
        try:
            work()
        except Exception as error:  # noqa: BLE001 (reported to the test's thread below)
            errors.append(error)
        finally:
            connection.close()

    signer = threading.Thread(target=run, args=(lambda: credentials.status_list_credential(1),))
    signer.start()
    assert read.wait(20)
    revoker = threading.Thread(
        target=run,
        args=(lambda: services.revoke_certification(certification=second, reason="Fraude", by=admin_user),),
    )
    revoker.start()
    # The revocation waits on the list's row, which the re-signing holds.
    for _ in range(200):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                break
        time.sleep(0.05)
    else:
        pytest.fail("the revocation never waited for the re-signing")
    release.set()
    signer.join(30)
    revoker.join(30)
    assert errors == []
    monkeypatch.setattr(credentials, "_set_positions", original)

    status_list = credentials.status_list_credential(1)
    assert status_bit(status_list, first.status_list_index) is True
    assert status_bit(status_list, second.status_list_index) is True
