/**
 * SuperOffice's error answer: `{Error, ErrorType, ErrorMessage, ErrorSource}` (superoffice-api.md §6,
 * documented for 404; §9 item 8: assumed for the other statuses too).
 */
export class ApiError extends Error {
  readonly status: number;
  readonly errorType: string;

  constructor(status: number, errorType: string, message: string) {
    super(message);
    this.status = status;
    this.errorType = errorType;
  }

  body(): { Error: true; ErrorType: string; ErrorMessage: string; ErrorSource: string } {
    return {
      Error: true,
      ErrorType: this.errorType,
      ErrorMessage: this.message,
      ErrorSource: 'SuperOffice.Services.Implementation',
    };
  }
}

export const notFound = (entity: string, id: number | string) =>
  new ApiError(404, 'SoNotFoundException', `${entity} id ${id} not found`);

export const badRequest = (message: string) => new ApiError(400, 'SoValidationException', message);
