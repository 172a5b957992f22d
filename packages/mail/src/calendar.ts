// Calendar invitations for appointments (issue 14), written with ical-generator: one stable UID per appointment,
// METHOD:REQUEST with SEQUENCE raised at each change, METHOD:CANCEL when it is called off. Times are written in
// UTC, which every calendar converts to its own zone (no VTIMEZONE to get wrong).
import ical, { ICalCalendarMethod, ICalEventStatus, ICalAttendeeRole, ICalAttendeeStatus } from 'ical-generator'

export interface Invitation {
  /** The appointment's id; the UID is `<id>@relais`. */
  appointmentId: string
  method: 'REQUEST' | 'CANCEL'
  sequence: number
  startsAt: Date
  endsAt: Date
  summary: string
  description: string
  location: string
  organizer: { name: string; email: string }
  attendees: { name?: string; email: string }[]
  /** DTSTAMP: when this version was written. */
  stamp: Date
}

export interface CalendarPart { method: 'REQUEST' | 'CANCEL'; content: string }

export const invitationUid = (appointmentId: string) => `${appointmentId}@relais`

export function invitationIcs(i: Invitation): CalendarPart {
  const cal = ical({ prodId: { company: 'Relais', product: 'Rendez-vous', language: 'FR' }, name: 'Relais' })
  cal.method(i.method === 'CANCEL' ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST)
  cal.createEvent({
    id: invitationUid(i.appointmentId),
    sequence: i.sequence,
    stamp: i.stamp,
    start: i.startsAt,
    end: i.endsAt,
    summary: i.summary,
    description: i.description,
    location: i.location,
    status: i.method === 'CANCEL' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    organizer: { name: i.organizer.name, email: i.organizer.email },
    attendees: i.attendees.map((a) => ({ name: a.name, email: a.email, role: ICalAttendeeRole.REQ, status: ICalAttendeeStatus.NEEDSACTION, rsvp: false })),
  })
  return { method: i.method, content: cal.toString() }
}
