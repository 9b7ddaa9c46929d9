/**
 * Payloads in, records out; records in, request bodies out. Fixtures follow the documented shapes
 * (superoffice-api.md §2.7 is SuperOffice's own Person sample, trimmed).
 */
import { describe, expect, it } from 'vitest';
import { describeSuperOfficeError } from '../../../src/connectors/superoffice/superoffice-connector.js';
import { wireDateToIso } from '../../../src/connectors/superoffice/superoffice-dates.js';
import { contactPatch, personPatch, ticketPatch } from '../../../src/connectors/superoffice/superoffice-patches.js';
import {
  contactRecord,
  contactRowRecord,
  personRecord,
  personRowRecord,
  ticketRecord,
  userRecord,
} from '../../../src/connectors/superoffice/superoffice-records.js';
import {
  contactEntitySchema,
  contactRowSchema,
  personEntitySchema,
  personRowSchema,
  ticketEntitySchema,
  userRowSchema,
} from '../../../src/connectors/superoffice/superoffice-wire.js';
import { SyncError } from '../../../src/core/sync-error.js';

const associate = {
  AssociateId: 5,
  Name: 'TY',
  PersonId: 5,
  Type: 'InternalAssociate',
  FullName: 'Anthony Yates',
  Deleted: false,
  EjUserId: 2,
  UserName: null,
  TableRight: { Mask: 'Select, Update', Reason: '[SR_USER_CANNOT_DELETE_SELF]' },
  FieldProperties: {},
};

const personPayload = {
  PersonId: 174644,
  Firstname: 'Steve',
  MiddleName: 'Jack',
  Lastname: 'Johnson',
  Mrmrs: '',
  Title: 'Salesman',
  UpdatedDate: '2022-07-14T14:44:54',
  CreatedDate: '2022-07-14T14:42:01',
  BirthDate: '0001-01-01T00:00:00',
  CreatedBy: associate,
  Emails: [
    {
      Value: 'stevejhnson@email1.com',
      StrippedValue: 'stevejhnson@email1.com',
      Description: 'Job',
      TableRight: null,
      FieldProperties: {},
    },
    {
      Value: 'steve@home.example',
      StrippedValue: 'steve@home.example',
      Description: 'Private',
      TableRight: null,
      FieldProperties: {},
    },
  ],
  PrivatePhones: [],
  MobilePhones: [{ Value: '+47 900 00 000', StrippedValue: '+4790000000', Description: '' }],
  Position: { Id: 0, Value: '', Tooltip: '' },
  Contact: {
    ContactId: 19,
    Name: 'Hugo Enterprises',
    Department: '',
    AssociateId: 5,
    CountryId: 826,
    FullName: 'Hugo Enterprises',
  },
  FullName: 'Steve Jack Johnson',
  Retired: false,
  CustomFields: { 'SuperOffice:2': '[DT:01/01/0001 00:00:00.0000000]' },
  _Links: {
    Self: 'https://sod.superoffice.com/Cust26759/api/v1/Person/174644',
    Archive: 'https://sod.superoffice.com/Cust26759/api/v1/Person',
  },
};

const ticketPayload = {
  TicketId: 1201,
  Title: 'Invoice shows the wrong VAT rate',
  CreatedAt: '2025-07-01T12:00:00',
  LastChanged: '2025-07-01T13:30:00',
  ClosedAt: '0001-01-01T00:00:00',
  CreatedBy: associate,
  OwnedBy: associate,
  Slevel: 'External',
  BaseStatus: 'Active',
  Origin: 'Email',
  Person: {
    PersonId: 174644,
    Firstname: 'Steve',
    Lastname: 'Johnson',
    Email: 'stevejhnson@email1.com',
    ContactId: 19,
    Retired: 0,
  },
  ConnectId: -1,
  ReadStatus: 'Green',
  TimeToReply: 90,
  RealTimeToReply: 90,
  TimeSpentInternally: 0,
  Messages: [],
};

describe('SuperOffice wire to records', () => {
  it("maps a person: first-ranked e-mail and phone, all e-mails as alternates, the company's id, UTC dates", () => {
    const record = personRecord(personEntitySchema.parse(personPayload));
    expect(record).toEqual({
      ref: { system: 'superoffice', type: 'person', id: '174644' },
      values: { 'Contact.ContactId': '19', 'Emails.Value': 'stevejhnson@email1.com', 'PrivatePhones.Value': null },
      alternates: { 'Emails.Value': ['stevejhnson@email1.com', 'steve@home.example'] },
      modifiedAt: '2022-07-14T14:44:54Z',
      deleted: false,
      facts: { label: 'Steve Jack Johnson', createdAt: '2022-07-14T14:42:01Z' },
    });
  });

  it('keeps absent, null and empty apart on a person', () => {
    const { Emails: _emails, PrivatePhones: _phones, ...rest } = personPayload;
    const absent = personRecord(personEntitySchema.parse({ ...rest, Contact: null }));
    expect(absent.values).toEqual({ 'Contact.ContactId': null });
    expect(absent.alternates).toBeUndefined();
    const empty = personRecord(
      personEntitySchema.parse({
        ...personPayload,
        Emails: [{ Value: '', Description: '' }],
        Contact: { ContactId: 0 },
      }),
    );
    expect(empty.values['Emails.Value']).toBe('');
    expect(empty.values['Contact.ContactId']).toBeNull();
  });

  it('maps a ticket: carrier ids, TimeToReply minutes as a decimal string, dates read in the tenant zone', () => {
    const record = ticketRecord(ticketEntitySchema.parse(ticketPayload), 'Europe/Oslo');
    expect(record).toEqual({
      ref: { system: 'superoffice', type: 'ticket', id: '1201' },
      values: {
        'OwnedBy.AssociateId': '5',
        'Person.PersonId': '174644',
        TimeToReply: '90',
        Title: 'Invoice shows the wrong VAT rate',
      },
      modifiedAt: '2025-07-01T11:30:00Z',
      deleted: false,
      facts: { label: 'Invoice shows the wrong VAT rate', createdAt: '2025-07-01T10:00:00Z' },
    });
  });

  it('maps TimeToReply 0 (no reply yet) and an unassigned owner to null', () => {
    const record = ticketRecord(
      ticketEntitySchema.parse({ ...ticketPayload, TimeToReply: 0, OwnedBy: { ...associate, AssociateId: 0 } }),
      'UTC',
    );
    expect(record.values.TimeToReply).toBeNull();
    expect(record.values['OwnedBy.AssociateId']).toBeNull();
  });

  it('maps a soft-deleted contact and a user row from InternalUsers', () => {
    const contact = contactRecord(
      contactEntitySchema.parse({
        ContactId: 25,
        Name: 'Lena Trevare AS',
        CreatedDate: '2021-01-05T08:00:00',
        UpdatedDate: '2024-05-01T09:10:11',
        Deleted: 1,
      }),
    );
    expect(contact).toMatchObject({
      values: { Name: 'Lena Trevare AS' },
      deleted: true,
      modifiedAt: '2024-05-01T09:10:11Z',
    });
    const user = userRecord(
      userRowSchema.parse({
        PrimaryKey: '12',
        EntityName: 'associate',
        associateDbId: '12',
        personId: 40,
        contactId: 0,
        personEmail: '',
        fullName: 'Anthony Yates',
        isActive: true,
        ejUserId: 2,
      }),
    );
    expect(user).toEqual({
      ref: { system: 'superoffice', type: 'user', id: '12' },
      values: { personEmail: null, contactId: null },
      modifiedAt: null,
      deleted: false,
      facts: { label: 'Anthony Yates', isAgent: true },
    });
  });

  it("reads SuperOffice's empty date as no date, and converts zone-less dates explicitly", () => {
    expect(wireDateToIso('0001-01-01T00:00:00')).toBeNull();
    expect(wireDateToIso('2025-01-15T12:00:00', 'Europe/Oslo')).toBe('2025-01-15T11:00:00Z');
    expect(wireDateToIso('2025-07-15T12:00:00', 'Europe/Oslo')).toBe('2025-07-15T10:00:00Z');
  });

  it('makes the same person record from Dynamic person, e-mail and phone rows as from the PersonEntity, ranking the rows', () => {
    const fromEntity = personRecord(personEntitySchema.parse(personPayload));
    const row = personRowSchema.parse({
      PrimaryKey: '174644',
      EntityName: 'person',
      'person.person_id': 174644,
      'person.updated': '2022-07-14T14:44:54',
      'person.contact_id': personPayload.Contact.ContactId,
      'person.firstname': 'Steve',
      'person.middleName': 'Jack',
      'person.lastname': 'Johnson',
      'person.registered': '2022-07-14T14:42:01',
      'person.DeletedDate': null,
    });
    // Rows come in id order; the rank decides (the private address was added first but ranks second).
    const emails = [
      { id: 7, rank: 2, value: 'steve@home.example' },
      { id: 9, rank: 1, value: 'stevejhnson@email1.com' },
    ];
    expect(personRowRecord(row, emails, [])).toEqual(fromEntity);
    expect(personRowRecord({ ...row, 'person.DeletedDate': '2024-01-01T00:00:00' }, emails, [])).toBeNull();
  });

  it('makes the same contact record from a Dynamic contact row as from the ContactEntity, and none for a soft-deleted row', () => {
    const fromEntity = contactRecord(
      contactEntitySchema.parse({
        ContactId: 25,
        Name: 'Lena Trevare AS',
        CreatedDate: '2023-01-02T03:04:05',
        UpdatedDate: '2024-05-01T09:10:11',
        Deleted: 0,
      }),
    );
    const row = {
      PrimaryKey: '25',
      EntityName: 'contact',
      'contact.contact_id': 25,
      'contact.updated': '2024-05-01T09:10:11',
      'contact.name': 'Lena Trevare AS',
      'contact.registered': '2023-01-02T03:04:05',
      'contact.DeletedDate': '0001-01-01T00:00:00',
    };
    expect(contactRowRecord(contactRowSchema.parse(row))).toEqual(fromEntity);
    expect(contactRowRecord(contactRowSchema.parse({ ...row, 'contact.DeletedDate': '' }))).toEqual(fromEntity);
    expect(
      contactRowRecord(contactRowSchema.parse({ ...row, 'contact.DeletedDate': '2024-06-01T00:00:00' })),
    ).toBeNull();
  });

  it('describes the SuperOffice error body by type and ErrorMessage', () => {
    const body = JSON.stringify({
      Error: true,
      ErrorType: 'SoNotFoundException',
      ErrorMessage: 'Contact id 99999 not found',
      ErrorSource: 'SuperOffice.Services.Implementation',
    });
    expect(describeSuperOfficeError(404, body).message).toBe('SoNotFoundException: Contact id 99999 not found');
    expect(describeSuperOfficeError(502, '<html>Bad gateway</html>').message).toBe('an HTML page');
    expect(
      describeSuperOfficeError(502, '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>').message,
    ).toBe('an HTML page ("502 Bad Gateway")');
    expect(describeSuperOfficeError(500, 'plain words').message).toBe('plain words');
  });
});

describe('records to SuperOffice patches', () => {
  const person = personEntitySchema.parse(personPayload);

  it("replaces only the first e-mail's value, guarded by a test of the old one", () => {
    expect(personPatch(person, { 'Emails.Value': 'steve@new.example' })).toEqual([
      { op: 'test', path: '/Emails/0/Value', value: 'stevejhnson@email1.com' },
      { op: 'replace', path: '/Emails/0/Value', value: 'steve@new.example' },
    ]);
  });

  it('appends a first private phone to a person without one (no test on the empty array), and removes only the first e-mail for null', () => {
    expect(personPatch(person, { 'PrivatePhones.Value': '+47 22 33 44 55' })).toEqual([
      { op: 'add', path: '/PrivatePhones/-', value: { Value: '+47 22 33 44 55', Description: '' } },
    ]);
    expect(personPatch(person, { 'Emails.Value': null })).toEqual([
      { op: 'test', path: '/Emails/0/Value', value: 'stevejhnson@email1.com' },
      { op: 'remove', path: '/Emails/0' },
    ]);
  });

  it('sets a reference through its carrier, writes 0 for none, and sends nothing when nothing differs', () => {
    expect(personPatch(person, { 'Contact.ContactId': '20' })).toEqual([
      { op: 'replace', path: '/Contact', value: { ContactId: 20 } },
    ]);
    expect(personPatch(person, { 'Contact.ContactId': null })).toEqual([
      { op: 'replace', path: '/Contact', value: { ContactId: 0 } },
    ]);
    expect(
      personPatch(person, {
        'Contact.ContactId': '19',
        'Emails.Value': 'stevejhnson@email1.com',
        'PrivatePhones.Value': null,
      }),
    ).toEqual([]);
  });

  it('never sends TimeToReply and refuses to change it; refuses unknown properties and null names', () => {
    const ticket = ticketEntitySchema.parse(ticketPayload);
    expect(ticketPatch(ticket, { TimeToReply: '90', Title: 'New subject', 'Person.PersonId': null })).toEqual([
      { op: 'replace', path: '/Title', value: 'New subject' },
      { op: 'replace', path: '/Person', value: { PersonId: 0 } },
    ]);
    expect(() => ticketPatch(ticket, { TimeToReply: '120' })).toThrow(SyncError);
    expect(() => personPatch(person, { Firstname: 'Bob' })).toThrow(/no property Firstname/);
    const contact = contactEntitySchema.parse({
      ContactId: 1,
      Name: 'A',
      CreatedDate: '2020-01-01T00:00:00',
      UpdatedDate: '2020-01-01T00:00:00',
    });
    expect(() => contactPatch(contact, { Name: null })).toThrow(expect.objectContaining({ code: 'validation' }));
  });
});
