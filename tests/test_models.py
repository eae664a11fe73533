import pytest
from django.db import IntegrityError, transaction

from archive.models import Institution, InstitutionAlias, Person, PersonAlias, Quote, Topic
from tests.conftest import make_document, make_release

pytestmark = pytest.mark.django_db


def test_a_quote_with_two_speakers_is_refused_by_the_database():
    release = make_release()
    person = Person.objects.create(name="Pan Gongsheng")
    institution = Institution.objects.create(name="People's Bank of China")
    with pytest.raises(IntegrityError), transaction.atomic():
        Quote.objects.create(
            release=release, person=person, institution=institution,
            kind=Quote.Kind.DIRECT, text="Words.", position=1,
        )


def test_a_quote_without_a_speaker_is_refused_by_the_database():
    release = make_release()
    with pytest.raises(IntegrityError), transaction.atomic():
        Quote.objects.create(release=release, kind=Quote.Kind.INDIRECT, text="Words.", position=1)


def test_a_quote_with_one_speaker_is_stored():
    release = make_release()
    institution = Institution.objects.create(name="Bank of Communications")
    quote = Quote.objects.create(
        release=release, institution=institution, kind=Quote.Kind.INDIRECT,
        text="it will seize opportunities", position=1,
    )
    assert quote.speaker == institution
    assert quote.get_absolute_url() == f"{release.get_absolute_url()}#statement-1"


def test_a_second_document_with_the_same_hash_is_refused():
    make_document(b"the same bytes")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_document(b"the same bytes")


def test_a_document_is_written_once():
    document = make_document(b"original")
    document.origin = "renamed.txt"
    with pytest.raises(ValueError, match="written once"):
        document.save()


def test_document_keeps_the_exact_bytes():
    raw = "\ufeff人民银行 12-24-2025\r\n".encode("utf-8") + b"\x00\xff"
    document = make_document(raw)
    document.refresh_from_db()
    assert bytes(document.content) == raw


def test_institution_alias_lookup_ignores_case():
    pboc = Institution.objects.create(name="People's Bank of China")
    InstitutionAlias.objects.create(institution=pboc, name="PBOC")
    assert list(Institution.objects.named("pboc")) == [pboc]
    assert list(Institution.objects.named("PBoC ")) == [pboc]
    assert list(Institution.objects.named("people's bank of china")) == [pboc]
    assert not Institution.objects.named("PBC").exists()


def test_institution_alias_is_unique_ignoring_case():
    pboc = Institution.objects.create(name="People's Bank of China")
    InstitutionAlias.objects.create(institution=pboc, name="PBOC")
    with pytest.raises(IntegrityError), transaction.atomic():
        InstitutionAlias.objects.create(institution=pboc, name="pboc")


def test_institution_name_is_unique_ignoring_case():
    Institution.objects.create(name="Industrial Bank")
    with pytest.raises(IntegrityError), transaction.atomic():
        Institution.objects.create(name="INDUSTRIAL BANK")


def test_person_alias_lookup_ignores_case():
    person = Person.objects.create(name="Qiu Yong")
    PersonAlias.objects.create(person=person, name="Chairman Qiu")
    assert list(Person.objects.named("chairman qiu")) == [person]


def test_slugs_keep_chinese_names_and_stay_unique():
    first = Institution.objects.create(name="中国人民银行")
    second = Person.objects.create(name="易纲")
    assert first.slug == "中国人民银行"
    assert second.slug == "易纲"
    punctuation_only = Institution.objects.create(name="???")
    assert punctuation_only.slug == "institution"
    assert Institution.objects.create(name="!!!").slug == "institution-2"


def test_branches_point_to_their_parent():
    parent = Institution.objects.create(name="China Construction Bank", kind="commercial_bank")
    branch = Institution.objects.create(name="China Construction Bank Jiangsu Branch", parent=parent)
    assert list(parent.branches.all()) == [branch]


def test_visible_excludes_hidden_releases():
    shown = make_release("Shown")
    make_release("Hidden", hidden=True)
    assert [r.title for r in shown.__class__.objects.visible()] == ["Shown"]


def test_with_counts_ignores_hidden_releases():
    bank = Institution.objects.create(name="Bank of Communications")
    make_release("One").institutions.add(bank)
    make_release("Two", hidden=True).institutions.add(bank)
    assert Institution.objects.with_counts().get(pk=bank.pk).release_count == 1


def test_the_taxonomy_is_loaded_by_migration():
    assert Topic.objects.count() == 15
    technology = Topic.objects.get(slug="technology-finance")
    assert "venture capital" in technology.keyword_list()


def test_release_url_carries_id_and_slug():
    release = make_release("Capital Support for Innovation")
    assert release.get_absolute_url() == f"/releases/{release.pk}/capital-support-for-innovation/"
