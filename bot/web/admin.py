"""Team admin (admins only): invite, change roles, remove, rename and set defaults,
see who is not receiving mail, and import an iDoneThis CSV export."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from bot.web import mail
from bot.web.common import admin_of, current_user, form_text, login_required, now
from core.db import db
from core.email_status import not_receiving
from core.imports import BadFile, import_rows, read_rows
from core.models import ROLES, Membership, User
from core.schedule import ScheduleError, parse_hhmm, zone
from core.teams import InvalidInput, add_member, normalize_email

MAX_IMPORT_BYTES = 5 * 1024 * 1024


def _member_of(team, membership_id):
    member = (Membership.select(Membership, User).join(User)
              .where(Membership.id == membership_id, Membership.team == team).first())
    if member is None:
        abort(404, description="no such member in this team")
    return member


def _other_admins(team, member):
    return Membership.select().where(Membership.team == team, Membership.role == "admin",
                                     Membership.id != member.id).count()


def make_blueprint(settings):
    blueprint = Blueprint("admin", __name__)

    def page(admin, status=200, **extra):
        team = admin.team
        members = list(Membership.select(Membership, User).join(User).where(Membership.team == team)
                       .order_by(User.name, User.email))
        return render_template("admin.html", team=team, admin=admin, members=members, roles=ROLES,
                               not_receiving=not_receiving(team), **extra), status

    @blueprint.get("/teams/<slug>/admin")
    @login_required
    def show(slug):
        return page(admin_of(slug))

    @blueprint.post("/teams/<slug>/admin/team")
    @login_required
    def team(slug):
        admin = admin_of(slug)
        team = admin.team
        name = form_text("name")
        if any(c in name for c in "\r\n"):
            abort(400, description="a team name is one line")
        tz = form_text("default_tz", max_length=64)
        try:
            zone(tz)
            prompt_at = parse_hhmm(request.form.get("default_prompt_at", "")).strftime("%H:%M")
            digest_at = parse_hhmm(request.form.get("default_digest_at", "")).strftime("%H:%M")
        except ScheduleError as error:
            abort(400, description=str(error))
        team.name, team.default_tz = name, tz
        team.default_prompt_at, team.default_digest_at = prompt_at, digest_at
        team.save()
        flash("Team saved. New members get these defaults; current members keep their own.")
        return redirect(url_for("admin.show", slug=slug))

    @blueprint.post("/teams/<slug>/admin/invite")
    @login_required
    def invite(slug):
        admin = admin_of(slug)
        team = admin.team
        try:
            email = normalize_email(request.form.get("email", ""))
        except InvalidInput as error:
            abort(400, description=str(error))
        name = form_text("name", required=False)
        role = request.form.get("role", "member")
        if role not in ROLES:
            abort(400, description=f"role must be one of {', '.join(ROLES)}")
        existing = User.get_or_none(User.email == email)
        if existing and Membership.select().where(Membership.user == existing, Membership.team == team).exists():
            abort(400, description=f"{email} is in {team.name} already")
        try:  # someone already using donebot keeps their own time zone
            member = add_member(team, email, now(), name=name, tz=existing.tz if existing else None, role=role)
        except InvalidInput as error:
            abort(400, description=str(error))
        sent = mail.send(settings, member.user.email, member.user.display_name,
                         f"{current_user().display_name} added you to {team.name} on donebot", "invite",
                         team=team, member=member, inviter=current_user(),
                         url=f"{settings.base_url.rstrip('/')}{url_for('auth.sign_in')}")
        flash(f"Added {email} to {team.name}." + (" They have an email with the details." if sent else
                                                   " The invitation email could not be sent."))
        return redirect(url_for("admin.show", slug=slug))

    @blueprint.post("/teams/<slug>/admin/members/<int:membership_id>/role")
    @login_required
    def role(slug, membership_id):
        admin = admin_of(slug)
        member = _member_of(admin.team, membership_id)
        new_role = request.form.get("role", "")
        if new_role not in ROLES:
            abort(400, description=f"role must be one of {', '.join(ROLES)}")
        with db.atomic():
            if member.role == "admin" and new_role != "admin" and not _other_admins(admin.team, member):
                abort(400, description="a team needs at least one admin: make someone else admin first")
            member.role = new_role
            member.save()
        flash(f"{member.user.display_name} is now {new_role}.")
        return redirect(url_for("admin.show", slug=slug))

    @blueprint.post("/teams/<slug>/admin/members/<int:membership_id>/remove")
    @login_required
    def remove(slug, membership_id):
        admin = admin_of(slug)
        member = _member_of(admin.team, membership_id)
        with db.atomic():
            if member.role == "admin" and not _other_admins(admin.team, member):
                abort(400, description="a team needs at least one admin: make someone else admin first")
            # Their entries go with the membership (ON DELETE CASCADE): the team's history is theirs too.
            member.delete_instance()
        flash(f"Removed {member.user.email} from {admin.team.name}.")
        if member.id == admin.id:
            return redirect(url_for("archive.teams"))
        return redirect(url_for("admin.show", slug=slug))

    @blueprint.post("/teams/<slug>/admin/import")
    @login_required
    def upload(slug):
        admin = admin_of(slug)
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            abort(400, description="choose a CSV file to import")
        raw = upload.read(MAX_IMPORT_BYTES + 1)
        if len(raw) > MAX_IMPORT_BYTES:
            abort(400, description=f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; "
                                   "use `donebot import` for big files")
        try:
            rows = read_rows(raw.decode("utf-8"))
        except UnicodeDecodeError:
            abort(400, description="the file is not UTF-8 text")
        except BadFile as error:
            abort(400, description=str(error))
        report = import_rows(admin.team, rows, now())
        return page(admin, report=report)

    return blueprint
