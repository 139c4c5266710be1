"""Organizer sign-up with e-mail verification; sign-in, sign-out and password reset pages."""

import re

import pytest
from django.core import mail
from django.test import Client

from marketflow.models import User
from marketflow.tests.factories import OrganizerFactory
from marketflow.tokens import email_verification_token, encode_id

pytestmark = pytest.mark.django_db

STRONG = "plum-orchard-42-lantern"


def signup(client, callbacks, **overrides):
    data = {"email": "Lena@Market.example", "full_name": "Lena", "password": STRONG}
    data = {**data, **overrides}
    data.setdefault("password_again", data["password"])
    with callbacks(execute=True):
        return client.post("/signup/", data)


def link_in(message) -> str:
    return re.search(r"http://testserver(/\S+)", message.body).group(1)


def test_signup_page_renders_a_labelled_form(client):
    response = client.get("/signup/")

    assert response.status_code == 200
    assert "pages/signup.html" in [t.name for t in response.templates]
    html = response.content.decode()
    for name in ["email", "full_name", "password", "password_again"]:
        assert f'<label for="id_{name}">' in html


def test_signup_creates_an_inactive_organizer_and_mails_a_verification_link(
    client, django_capture_on_commit_callbacks
):
    response = signup(client, django_capture_on_commit_callbacks)

    assert response.status_code == 302 and response["Location"] == "/signup/done/"
    user = User.objects.get()
    assert (user.email, user.is_organizer, user.is_staff, user.is_active) == (
        "lena@market.example",
        True,
        True,
        False,
    )
    (message,) = mail.outbox
    assert message.to == ["lena@market.example"]
    assert message.subject == "Confirm your e-mail address for Marketflow"
    assert link_in(message).startswith("/signup/verify/")
    assert message.alternatives[0][1] == "text/html"


def test_the_verification_link_activates_the_account_once(
    client, django_capture_on_commit_callbacks
):
    signup(client, django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])

    assert not Client().login(email="lena@market.example", password=STRONG)
    response = client.get(link)
    again = client.get(link)

    assert response.status_code == 200
    assert "Your account is confirmed" in response.content.decode()
    assert User.objects.get().is_active
    assert again.status_code == 400
    assert "This link does not work" in again.content.decode()
    admin = Client()
    assert (
        admin.post(
            "/admin/login/?next=/admin/",
            {"username": "lena@market.example", "password": STRONG},
        ).status_code
        == 302
    )


def test_a_forged_or_garbled_verification_link_activates_nothing(client, db):
    user = OrganizerFactory(is_active=False)
    other = OrganizerFactory(is_active=False)
    forged = f"/signup/verify/{encode_id(user.pk)}/{email_verification_token.make_token(other)}/"

    for link in [forged, "/signup/verify/not-base64/nonsense/"]:
        assert client.get(link).status_code == 400
    user.refresh_from_db()
    assert not user.is_active


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"password": "password", "password_again": "password"}, "password", "too common"),
        ({"password": "lena@market.example1"}, "password", "too similar"),
        ({"password_again": "something-else-77"}, "password_again", "The two passwords differ."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
    ],
)
def test_signup_refuses_weak_passwords_and_bad_input(
    client, django_capture_on_commit_callbacks, overrides, field, message
):
    response = signup(client, django_capture_on_commit_callbacks, **overrides)

    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert not User.objects.exists()
    assert mail.outbox == []


# Sign-in, sign-out, password reset.


def test_a_vendor_signs_in_with_the_e_mail_and_lands_in_the_portal(client, vendor_user):
    response = client.post(
        "/accounts/sign-in/",
        {"username": vendor_user.email.upper(), "password": "correct-horse-battery"},
    )

    assert response.status_code == 302 and response["Location"] == "/vendor/"


def test_an_organizer_signing_in_lands_in_the_admin_site(client, organizer):
    response = client.post(
        "/accounts/sign-in/", {"username": organizer.email, "password": "correct-horse-battery"}
    )

    assert response["Location"] == "/admin/"


def test_a_wrong_password_is_a_form_error(client, vendor_user):
    response = client.post(
        "/accounts/sign-in/", {"username": vendor_user.email, "password": "wrong"}
    )

    assert response.status_code == 200
    assert "pages/sign_in.html" in [t.name for t in response.templates]
    assert 'id="error-summary"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_out_is_a_post_and_ends_the_session(client, vendor_user):
    client.force_login(vendor_user)

    response = client.post("/accounts/sign-out/")

    assert response.status_code == 302 and response["Location"] == "/accounts/sign-in/"
    assert client.get("/vendor/").status_code == 302


def test_password_reset_mails_a_link_that_sets_a_new_password(client, vendor_user):
    response = client.post("/accounts/password-reset/", {"email": vendor_user.email})

    assert response["Location"] == "/accounts/password-reset/sent/"
    (message,) = mail.outbox
    assert message.subject == "Reset your Marketflow password"
    link = link_in(message)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": STRONG, "new_password2": STRONG},
    )
    assert done["Location"] == "/accounts/password-reset/complete/"
    assert Client().login(email=vendor_user.email, password=STRONG)


def test_password_reset_for_an_unknown_address_looks_the_same(client, db):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.com"})

    assert response["Location"] == "/accounts/password-reset/sent/"
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("path", "template", "text"),
    [
        ("/signup/done/", "pages/signup_done.html", "Check your e-mail"),
        ("/accounts/sign-in/", "pages/sign_in.html", "Forgotten your password?"),
        ("/accounts/password-reset/", "pages/password_reset.html", "Send the link"),
        ("/accounts/password-reset/sent/", "pages/password_reset_done.html", "on its way"),
        ("/accounts/password-reset/complete/", "pages/password_reset_complete.html", "changed"),
        ("/vendor/activate/", "pages/activation_request.html", "Send the link"),
    ],
)
def test_simple_pages_render(client, db, path, template, text):
    response = client.get(path)

    assert response.status_code == 200
    assert template in [t.name for t in response.templates]
    assert "base.html" in [t.name for t in response.templates]
    assert text in response.content.decode()


def test_a_signed_in_organizer_visiting_signup_goes_to_the_admin_site(client, organizer):
    client.force_login(organizer)

    assert client.get("/signup/")["Location"] == "/admin/"


# -- the unverified organizer's way out -------------------------------------------------------


def test_an_expired_link_page_offers_a_new_link_and_the_new_link_works(
    client, django_capture_on_commit_callbacks
):
    signup(client, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    expired = client.get("/signup/verify/not-base64/nonsense/").content.decode()
    assert 'href="/signup/resend/"' in expired and "sign up again" not in expired
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/signup/resend/", {"email": "LENA@market.example"})

    assert response.status_code == 200
    assert "a new link to confirm it is on its way" in response.content.decode()
    (message,) = mail.outbox
    assert message.to == ["lena@market.example"]
    assert client.get(link_in(message)).status_code == 200
    assert User.objects.get().is_active


def test_a_new_link_is_sent_to_unverified_sign_ups_only_with_the_same_answer(
    client, organizer, vendor_user, django_capture_on_commit_callbacks
):
    answers = set()
    for email in (organizer.email, vendor_user.email, "nobody@example.com"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/signup/resend/", {"email": email})
        main = re.search(r"<main.*</main>", response.content.decode(), re.DOTALL).group(0)
        answers.add((response.status_code, main))
    assert len(answers) == 1
    assert mail.outbox == []


def test_the_resend_page_refuses_a_bad_address_and_is_rate_limited(client, settings, db):
    response = client.post("/signup/resend/", {"email": "not-an-address"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "sign_in": "1/hour",
        },
    }
    client.post("/signup/resend/", {"email": "a@example.com"})
    assert client.post("/signup/resend/", {"email": "a@example.com"}).status_code == 429


def test_a_password_reset_of_an_unverified_sign_up_sends_the_verification_link(
    client, django_capture_on_commit_callbacks
):
    signup(client, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password-reset/", {"email": "lena@market.example"})

    assert response.status_code == 302
    (message,) = mail.outbox
    assert link_in(message).startswith("/signup/verify/")
    client.get(link_in(message))
    assert User.objects.get().is_active


def test_sign_in_pages_lead_to_a_new_link_and_the_admin_to_password_reset(client, db):
    assert b'href="/signup/resend/"' in client.get("/accounts/sign-in/").content
    admin_sign_in = client.get("/admin/login/").content.decode()
    assert 'href="/admin/password_reset/"' in admin_sign_in
    reset = client.get("/admin/password_reset/")
    assert reset.status_code == 200
    assert "pages/password_reset.html" in [t.name for t in reset.templates]


def test_a_refused_admin_sign_in_points_to_a_new_confirmation_link(client, db):
    from marketflow.tests.factories import OrganizerFactory

    user = OrganizerFactory(is_active=False, email="new@market.example")
    response = client.post("/admin/login/", {"username": user.email, "password": "x" * 12})
    assert response.status_code == 200
    assert "new confirmation link at /signup/resend/" in response.content.decode()
