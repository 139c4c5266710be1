"""Admin of applications: review (accept, reject with a reason, waitlist) one at a time or in
bulk, filters and search that stay fast with 100,000 applications, CSV export of the filtered
list. Decisions go through ``applications.services``; nothing here edits a row directly."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from applications import services
from applications.models import TRANSITIONS, Application
from applications.selectors import application_document_list, application_filter_category
from marketflow.admin_base import (
    ScopedModelAdmin,
    ViewOnlyMixin,
    csv_response,
    market_filter,
    person,
)
from marketflow.errors import DomainError
from marketflow.forms import add_domain_error_to_form
from marketflow.models import category_labels, normalize_email
from marketflow.selectors import acts_as_organizer
from stalls import services as stall_services
from stalls.selectors import strike_counts, strike_season
from vendors.models import DocumentReview, ProductCategory

Status = Application.Status
EXPIRY_WARNING_DAYS = 30
REJECT_PAGE_LIST = 50  # applications named on the reject page; the count covers the rest

DECISIONS = {
    "accept": (services.application_accept, Status.ACCEPTED, _("Accepted")),
    "reject": (services.application_reject, Status.REJECTED, _("Rejected")),
    "waitlist": (services.application_waitlist, Status.WAITLISTED, _("Waitlisted")),
    # Undoing a decision: from a rejection (or a revocation) back to pending; an acceptance
    # revoked, which releases the vendor's coming unpaid bookings (stalls.services).
    "reopen": (services.application_reopen, Status.PENDING, _("Reopened")),
    "revoke": (stall_services.application_revoke, Status.REVOKED, _("Revoked")),
}
# The decisions that ask for a reason on a page of their own first: (title, what happens,
# the button, whether the reason is required).
REASON_PAGES = {
    "reject": (
        _("Reject an application"),
        _("This application will be rejected. The vendor is told the reason you give."),
        _("Reject"),
        False,
    ),
    "reopen": (
        _("Reopen an application"),
        _(
            "This application will be pending again, for a fresh review. The vendor is told, "
            "with the reason you give."
        ),
        _("Reopen"),
        True,
    ),
    "revoke": (
        _("Revoke an acceptance"),
        _(
            "The vendor will no longer be accepted at this market. Their unpaid bookings on "
            "the market's coming days are released (the stalls become free); paid bookings "
            "are kept for you to settle. The vendor is e-mailed the reason you give and the "
            "bookings released."
        ),
        _("Revoke the acceptance"),
        True,
    ),
}


class CategoryFilter(admin.SimpleListFilter):
    title = _("product category")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return ProductCategory.choices

    def queryset(self, request, queryset):
        if self.value() in ProductCategory.values:
            return application_filter_category(queryset, self.value())
        return queryset


class StatusFilter(admin.SimpleListFilter):
    """The statuses an organizer can see: an unconfirmed application is nobody's yet."""

    title = _("status")
    parameter_name = "status__exact"  # the URL of Django's own field filter, as linked to

    def lookups(self, request, model_admin):
        hidden = Application.Status.UNCONFIRMED
        return [(value, label) for value, label in Application.Status.choices if value != hidden]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(status=self.value())


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the vendor)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required


def application_label(application: Application) -> str:
    return application.business_name


@admin.register(Application)
class ApplicationAdmin(ViewOnlyMixin, ScopedModelAdmin):
    # Applications arrive through the public form and change only by decisions: the page is
    # a view, and the decisions are the "decide" permission.
    list_display = [
        "business_name",
        "vendor_email",
        "market",
        "status",
        "categories",
        "submitted",
        "strikes",
    ]
    list_display_links = ["business_name"]
    list_filter = [StatusFilter, market_filter("market"), CategoryFilter]
    list_select_related = ["vendor", "market"]
    search_fields = ["business_name", "vendor__email"]
    search_help_text = _("A business name, or a whole e-mail address.")
    actions = ["accept_applications", "reject_applications", "waitlist_applications", "export"]
    fieldsets = [
        (
            _("Applicant, as submitted"),
            {
                "fields": [
                    "business_name",
                    "contact_name",
                    "vendor_email",
                    "phone",
                    "categories",
                    "description",
                ]
            },
        ),
        (_("Application"), {"fields": ["market", "created_at", "message", "documents_table"]}),
        (
            _("Decision"),
            {
                "fields": [
                    "status",
                    "decision_reason",
                    "reviewer",
                    "reviewed_at",
                    "withdrawn_at",
                ]
            },
        ),
    ]
    readonly_fields = flatten_fieldsets(fieldsets)  # the page is a view: every field of it

    def has_decide_permission(self, request, obj=None):
        user = request.user
        if user.is_superuser:
            return True
        return acts_as_organizer(user) and (obj is None or self.owns(user, obj))

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term:  # an e-mail: exact, on the vendor's unique index
            return queryset.filter(vendor__email=normalize_email(term)), False
        return queryset.filter(business_name__icontains=term), False

    def get_queryset(self, request):
        # The vendor's no-shows and late cancellations at the application's market this
        # season: two subqueries of the page's one query, not two queries a row.
        season = strike_season(timezone.localdate())
        return (
            super()
            .get_queryset(request)
            .annotate(
                **strike_counts(vendor=OuterRef("vendor"), market=OuterRef("market"), season=season)
            )
        )

    # -- columns and fields

    @admin.display(description=_("no-shows / late cancellations this year"))
    def strikes(self, application):
        return f"{application.no_show_count} / {application.late_cancellation_count}"

    @admin.display(description=_("e-mail"), ordering="vendor__email")
    def vendor_email(self, application):
        return application.vendor.email

    @admin.display(description=_("submitted"), ordering="id")  # UUIDv7: ordered by time
    def submitted(self, application):
        return date_format(timezone.localdate(application.created_at))

    @admin.display(description=_("categories"))
    def categories(self, application):
        return category_labels(application.product_categories)

    @admin.display(description=_("reviewed by"))
    def reviewer(self, application):
        return person(application.reviewed_by)

    @admin.display(description=_("documents"))
    def documents_table(self, application):
        documents = list(
            application_document_list(application=application).order_by(
                "document_type", "-created_at"
            )
        )
        if not documents:
            return _("No documents were submitted with this application.")
        today = application.market.today()
        rows = format_html_join(
            "",
            '<tr><td>{}</td><td><a href="{}">{}</a></td><td>{}</td><td>{}</td>'
            '<td class="{}">{}</td><td class="document-review">{}</td></tr>',
            (
                (
                    document.get_document_type_display(),
                    reverse("document-download", args=[document.pk]),
                    document.original_filename,
                    f"{max(document.size // 1024, 1):,} KB",
                    date_format(document.expires_on) if document.expires_on else "–",
                    *expiry(document.expires_on, today),
                    review_words(document),
                )
                for document in documents
            ),
        )
        return format_html(
            '<table class="application-documents"><thead><tr><th>{}</th><th>{}</th>'
            "<th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("Type"),
            _("File"),
            _("Size"),
            _("Expires on"),
            _("State"),
            _("Review for this market"),
            rows,
        )

    # -- one application at a time

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<uuid:application_id>/decide/",
                view(self.decide_view),
                name="applications_application_decide",
            ),
            *(
                path(
                    f"<uuid:application_id>/{decision}/",
                    view(self.reason_view),
                    {"decision": decision},
                    name=f"applications_application_{decision}",
                )
                for decision in REASON_PAGES
            ),
            path("export/", view(self.export_view), name="applications_application_export"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        application = self.get_object(request, object_id)
        decisions = [
            (name, label)
            for name, (_service, target, label) in DECISIONS.items()
            if target in TRANSITIONS[application.status]
        ]
        context = {
            "decisions": decisions if self.has_decide_permission(request, application) else [],
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def _decide(self, request, application, decision: str, reason: str = "", form=None) -> bool:
        """One decision through its service; a refusal is an error on ``form`` when given
        (the page asking for the reason shows it again), else an admin message."""
        service, _target, label = DECISIONS[decision]
        try:
            result = service(
                user=request.user,
                market_id=application.market_id,
                application_id=application.pk,
                reason=reason,
            )
        except DomainError as error:
            if form is not None:
                add_domain_error_to_form(form, error)
            else:
                self.message_user(request, error.message, messages.ERROR)
            return False
        self.message_user(
            request,
            _("%(decision)s: %(business)s.")
            % {"decision": label, "business": application.business_name},
            messages.SUCCESS,
        )
        released = getattr(result, "released", None)
        if released is not None:  # a revocation
            self.message_user(
                request,
                _("Bookings released: %(bookings)s.") % {"bookings": "; ".join(released)}
                if released
                else _("The vendor had no unpaid bookings on coming days."),
                messages.INFO,
            )
        return True

    def _change_url(self, application) -> str:
        return reverse("admin:applications_application_change", args=[application.pk])

    def decide_view(self, request, application_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        application = self.get_object(request, str(application_id))
        if not self.has_decide_permission(request, application):
            raise PermissionDenied
        decision = request.POST.get("decision")
        if decision not in ("accept", "waitlist"):  # rejecting asks for a reason first
            self.message_user(request, _("Choose accept or waitlist."), messages.ERROR)
        else:
            self._decide(request, application, decision)
        return HttpResponseRedirect(self._change_url(application))

    def reason_view(self, request, application_id, decision: str):
        """Reject, reopen or revoke one application: a page asks for the reason first."""
        application = self.get_object(request, str(application_id))
        if not self.has_decide_permission(request, application):
            raise PermissionDenied
        title, intro, button, reason_required = REASON_PAGES[decision]
        form = RejectForm(request.POST or None, reason_required=reason_required)
        if (
            request.method == "POST"
            and form.is_valid()
            and self._decide(request, application, decision, form.cleaned_data["reason"], form)
        ):
            return HttpResponseRedirect(self._change_url(application))
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "button": button,
            "decision": decision,
            "opts": self.opts,
            "form": form,
            "applications": [application],
            "original": application,
        }
        return TemplateResponse(request, "marketflow_admin/reject_applications.html", context)

    # -- bulk actions

    def _decide_each(self, request, queryset, decision: str, reason: str = "") -> None:
        service, _target, label = DECISIONS[decision]
        self.run_each(
            request,
            queryset,
            lambda application: service(
                user=request.user,
                market_id=application.market_id,
                application_id=application.pk,
                reason=reason,
            ),
            done=f"{label} {{count}} application(s).",
            not_done=f"{{count}} application(s) not {str(label).lower()}",
            describe=application_label,
        )

    @admin.action(description=_("Accept selected applications"), permissions=["decide"])
    def accept_applications(self, request, queryset):
        self._decide_each(request, queryset, "accept")

    @admin.action(description=_("Waitlist selected applications"), permissions=["decide"])
    def waitlist_applications(self, request, queryset):
        self._decide_each(request, queryset, "waitlist")

    @admin.action(description=_("Reject selected applications…"), permissions=["decide"])
    def reject_applications(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            self._decide_each(request, queryset, "reject", form.cleaned_data["reason"])
            return None  # back to the changelist
        select_across = request.POST.get("select_across") == "1"
        shown = list(queryset.select_related("market")[:REJECT_PAGE_LIST])
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reject applications"),
            "opts": self.opts,
            "form": form,
            "applications": shown,
            # "All N matching" posts back as select-across (the changelist's filters are in
            # the URL), not as N hidden ids.
            "select_across": select_across,
            "selected_ids": [shown[0].pk]
            if select_across
            else queryset.values_list("pk", flat=True),
            "count": queryset.count(),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "bulk": True,
        }
        return TemplateResponse(request, "marketflow_admin/reject_applications.html", context)

    # -- CSV

    @admin.action(description=_("Export selected applications as CSV"), permissions=["view"])
    def export(self, request, queryset):
        return self._csv(queryset)

    def export_view(self, request):
        """The changelist as it is filtered and searched, as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return self._csv(changelist.queryset)

    def _csv(self, queryset):
        header = [
            "submitted",
            "status",
            "market",
            "business name",
            "contact name",
            "e-mail",
            "phone",
            "categories",
            "message",
            "decision reason",
            "reviewed at",
        ]
        rows = queryset.values_list(
            "created_at",
            "status",
            "market__name",
            "business_name",
            "contact_name",
            "vendor__email",
            "phone",
            "product_categories",
            "message",
            "decision_reason",
            "reviewed_at",
        ).iterator(chunk_size=2000)
        rows = ((*row[:7], category_labels(row[7]), *row[8:]) for row in rows)
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        return csv_response(f"applications-{stamp}.csv", header, rows)


def review_words(document) -> str:
    """This market's review of a document (``application_document_list`` annotates it)."""
    if document.review_status is None:
        return str(_("not reviewed (see the market's Readiness page)"))
    label = DocumentReview.Status(document.review_status).label
    return f"{label}: {document.review_reason}" if document.review_reason else str(label)


def expiry(expires_on: datetime.date | None, today: datetime.date) -> tuple[str, str]:
    """(CSS class, words) of a document's expiry as seen on ``today`` at the market."""
    if expires_on is None:
        return "mf-no-expiry", str(_("does not expire"))
    if expires_on < today:
        return "mf-expired", str(_("expired"))
    days = (expires_on - today).days
    if days <= EXPIRY_WARNING_DAYS:
        return "mf-expiring", str(_("expires in %(days)d day(s)") % {"days": days})
    return "mf-valid", str(_("valid"))
