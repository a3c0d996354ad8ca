// The words for the fixed reasons a supporter flags a session for review (shared by both desks).
import { msg } from '@lit/localize';
import type { ReviewFlagReason } from '../../../bridge/supervision-api.ts';

export function flagReasonLabel(r: ReviewFlagReason): string {
  switch (r) {
    case 'risk_unclear': return msg('I am unsure how serious the risk was', { id: 'supervision.reason.risk-unclear' });
    case 'boundary_concern': return msg('A boundary was tested or crossed', { id: 'supervision.reason.boundary' });
    case 'unsure_how_to_respond': return msg('I did not know how to respond', { id: 'supervision.reason.unsure' });
    case 'distressing_for_me': return msg('It was distressing for me', { id: 'supervision.reason.distressing' });
    case 'safeguarding_question': return msg('I have a safeguarding question', { id: 'supervision.reason.safeguarding' });
    case 'other': return msg('Something else', { id: 'supervision.reason.other' });
  }
}
