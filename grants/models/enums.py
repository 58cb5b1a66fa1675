"""The closed vocabularies of the domain: kinds, roles and workflow states."""

from __future__ import annotations

from enum import StrEnum


class OrganisationKind(StrEnum):
    MUNICIPALITY = "municipality"
    REGIONAL_AUTHORITY = "regional_authority"
    NATIONAL_GOVERNMENT = "national_government"
    CSO = "cso"
    DONOR = "donor"
    IMPLEMENTING_AGENCY = "implementing_agency"
    INTERNATIONAL_ORGANISATION = "international_organisation"
    ACADEMIC = "academic"
    PRIVATE_SECTOR = "private_sector"
    OTHER = "other"


class PartnerRole(StrEnum):
    LEAD = "lead"
    CO_IMPLEMENTING = "co_implementing"
    ASSOCIATED = "associated"
    FUNDER = "funder"


class ProjectStatus(StrEnum):
    DRAFT = "draft"
    CONTRACTING = "contracting"
    ACTIVE = "active"
    FINALISING = "finalising"
    CLOSED = "closed"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


class MilestoneStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class TrancheStatus(StrEnum):
    SCHEDULED = "scheduled"
    APPROVED = "approved"
    PAID = "paid"
    CANCELLED = "cancelled"


class ReviewStatus(StrEnum):
    """The states of a partner's progress update."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


class OverallStatus(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"


class Role(StrEnum):
    ADMIN = "admin"
    GRANT_MANAGER = "grant_manager"
    DONOR = "donor"
    PARTNER_EDITOR = "partner_editor"
    PARTNER_VIEWER = "partner_viewer"


class BudgetCategory(StrEnum):
    STAFF = "staff"
    TRAVEL = "travel"
    EVENTS = "events"
    EQUIPMENT = "equipment"
    SERVICES = "services"
    COMMUNICATION = "communication"
    OTHER = "other"


class ReportKind(StrEnum):
    PROJECT = "project"
    PORTFOLIO = "portfolio"


class ReportScope(StrEnum):
    PROJECT = "project"
    PROGRAMME = "programme"
    CALL = "call"


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
